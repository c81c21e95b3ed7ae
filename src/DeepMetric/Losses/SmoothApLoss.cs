using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// Smooth-AP of Brown, Xie, Kalogeiton &amp; Zisserman, "Smooth-AP: Smoothing the Path Towards Large-Scale Image
/// Retrieval" (ECCV 2020): average precision with the ranking indicator replaced by a sigmoid of temperature τ.
/// For a query q with positive set P_q and retrieval set Ω_q (its positives and negatives), similarities s and
/// G(x) = σ(x/τ):
/// <code>
/// R(p, S) = 1 + Σ_{j∈S, j≠p} G(s_qj − s_qp),   AP_q = (1/|P_q|) Σ_{p∈P_q} R(p, P_q) / R(p, Ω_q)
/// </code>
/// and the loss of q is 1 − AP_q (one value per query that has a positive).
/// </summary>
/// <remarks>
/// Defaults: τ = 0.01, <see cref="CosineSimilarity"/>, <see cref="MeanReducer"/>. A distance d is ranked as the
/// similarity −d. The paper samples batches of P classes × K images; any batch works here (queries without a positive
/// give no value). Mined tuples choose each query's positives and negatives. Memory is O(N·M²).
/// </remarks>
public sealed class SmoothApLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">τ of the sigmoid relaxation of the ranking indicator.</param>
    /// <param name="distance">Similarity (default <see cref="CosineSimilarity"/>; a distance d is used as −d).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public SmoothApLoss(float temperature = 0.01f, Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Positive(temperature);
        Temperature = temperature;
    }

    /// <summary>τ of the sigmoid.</summary>
    public float Temperature { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var (pos, neg) = batch.Masks();
        var p = pos.ToArray();
        var ng = neg.ToArray();
        int n = batch.Count, m = pos.Dim(1);
        var queries = new List<int>();
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                if (p[(i * m) + j] > 0)
                {
                    queries.Add(i);
                    break;
                }
            }
        }
        if (queries.Count == 0)
        {
            yield break;
        }
        int[] q = [.. queries];
        int nq = q.Length;
        // Constant weights over [query, p, j]: j ranges over the retrieval set (all) or the positives, j ≠ p.
        var all = new float[nq * m * m];
        var positives = new float[nq * m * m];
        var posOfQuery = new float[nq * m];
        var invCount = new float[nq];
        for (int a = 0; a < nq; a++)
        {
            int i = q[a];
            int count = 0;
            for (int k = 0; k < m; k++)
            {
                bool isPos = p[(i * m) + k] > 0;
                posOfQuery[(a * m) + k] = isPos ? 1f : 0f;
                count += isPos ? 1 : 0;
            }
            invCount[a] = 1f / count;
            for (int k = 0; k < m; k++)
            {
                for (int j = 0; j < m; j++)
                {
                    if (j == k)
                    {
                        continue;
                    }
                    int at = (((a * m) + k) * m) + j;
                    positives[at] = p[(i * m) + j];
                    all[at] = p[(i * m) + j] + ng[(i * m) + j];
                }
            }
        }
        var raw = Ops.IndexSelect(batch.Matrix(Distance), 0, q);
        var s = Distance.IsInverted ? raw : Ops.Neg(raw);
        // diff[a, k, j] = s_qj − s_qk.
        var diff = Ops.Sub(Ops.Unsqueeze(s, 1), Ops.Unsqueeze(s, 2));
        var g = Ops.Sigmoid(Ops.Mul(diff, 1f / Temperature));
        var rankAll = Ops.Add(Ops.Sum(Ops.Mul(g, Tensor.Wrap(all, nq, m, m)), 2), 1f);
        var rankPos = Ops.Add(Ops.Sum(Ops.Mul(g, Tensor.Wrap(positives, nq, m, m)), 2), 1f);
        var ratio = Ops.Mul(Ops.Div(rankPos, rankAll), Tensor.Wrap(posOfQuery, nq, m));
        var ap = Ops.Mul(Ops.Sum(ratio, 1), Tensor.Wrap(invCount, nq));
        yield return new LossTerm("smooth_ap_loss", Ops.RSub(1f, ap), LossTermKind.Element, q);
    }
}
