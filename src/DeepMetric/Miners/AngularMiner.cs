using DeepMetric.Distances;
using DeepMetric.Internal;

namespace DeepMetric.Miners;

/// <summary>
/// Mines the triplets that violate the angular constraint (Wang, Zhou, Wen, Liu &amp; Lin, "Deep Metric Learning with
/// Angular Loss", ICCV 2017): with the centre c = (a + p)/2 of the positive pair, the angle at the negative of the
/// triangle (a, p, n) satisfies tan ∠n = ‖a − p‖ / (2‖n − c‖); triplets with ∠n &gt; α are kept.
/// Defaults: α = 20°, Euclidean geometry on the raw embeddings, as PyTorch Metric Learning 2.8.1 measures the angles
/// (its distance is normalising but the angles use the embeddings as given); <c>normalizeEmbeddings: true</c> measures
/// them on L2-normalised embeddings (the paper's setting).
/// </summary>
/// <remarks>
/// The angle is a Euclidean notion, so the miner works on the embeddings themselves rather than on a distance matrix;
/// its <see cref="Miner.Distance"/> is an L2 <see cref="LpDistance"/> on normalised embeddings, as PML's.
/// </remarks>
public sealed class AngularMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="angle">The angle α in degrees, in (0, 90).</param>
    /// <param name="normalizeEmbeddings">L2-normalise embeddings before measuring the angles (PML: false).</param>
    public AngularMiner(float angle = 20f, bool normalizeEmbeddings = false) : base(new LpDistance())
    {
        NormalizeEmbeddings = normalizeEmbeddings;
        Guard.InRange(angle, 0, 90, minExclusive: true, maxExclusive: true);
        Angle = angle;
    }

    /// <summary>Whether the angles are measured on L2-normalised embeddings.</summary>
    public bool NormalizeEmbeddings { get; }

    /// <summary>The angle α in degrees.</summary>
    public float Angle { get; }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        int dim = batch.Dimension;
        var q = Prepare(batch, batch.Rows, dim, reference: false);
        var r = batch.SameSet ? q : Prepare(batch, batch.Cols, dim, reference: true);
        double alpha = Angle * Math.PI / 180;
        var center = new double[dim];
        List<int> a = [], p = [], n = [];
        List<int> negs = [];
        for (int i = 0; i < batch.Rows; i++)
        {
            negs.Clear();
            for (int k = 0; k < batch.Cols; k++)
            {
                if (batch.IsNegative(i, k))
                {
                    negs.Add(k);
                }
            }
            if (negs.Count == 0)
            {
                continue;
            }
            var ai = q.AsSpan(i * dim, dim);
            for (int j = 0; j < batch.Cols; j++)
            {
                if (!batch.IsPositive(i, j))
                {
                    continue;
                }
                var pj = r.AsSpan(j * dim, dim);
                double ap2 = 0;
                for (int t = 0; t < dim; t++)
                {
                    double diff = ai[t] - pj[t];
                    ap2 += diff * diff;
                    center[t] = (ai[t] + pj[t]) / 2;
                }
                double ap = Math.Sqrt(ap2);
                foreach (int k in negs)
                {
                    var nk = r.AsSpan(k * dim, dim);
                    double nc2 = 0;
                    for (int t = 0; t < dim; t++)
                    {
                        double diff = nk[t] - center[t];
                        nc2 += diff * diff;
                    }
                    // atan2 is defined at ‖n − c‖ = 0 (angle 90°).
                    if (Math.Atan2(ap, 2 * Math.Sqrt(nc2)) > alpha)
                    {
                        a.Add(i);
                        p.Add(j);
                        n.Add(k);
                    }
                }
            }
        }
        return new TripletTuples([.. a], [.. p], [.. n]);
    }

    private double[] Prepare(MiningBatch batch, int count, int dim, bool reference)
    {
        var x = new double[count * dim];
        for (int i = 0; i < count; i++)
        {
            var e = reference ? batch.RefEmbedding(i) : batch.Embedding(i);
            double s = 0;
            for (int t = 0; t < dim; t++)
            {
                s += (double)e[t] * e[t];
            }
            double scale = NormalizeEmbeddings ? 1 / Math.Max(Math.Sqrt(s), 1e-12) : 1;
            for (int t = 0; t < dim; t++)
            {
                x[(i * dim) + t] = e[t] * scale;
            }
        }
        return x;
    }
}
