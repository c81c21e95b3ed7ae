using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// FastAP of Cakir, He, Xia, Kulis &amp; Sclaroff, "Deep Metric Learning to Rank" (CVPR 2019): average precision of
/// each query's ranking of the batch, made differentiable by soft histogram binning of distances. With bin centres
/// z_l = lΔ (l = 0…L, Δ = 4/L) over the squared Euclidean distances of L2-normalised embeddings (range [0, 4]) and
/// the triangular kernel δ(d, z_l) = [1 − |d − z_l|/Δ]₊, a query q has per-bin counts
/// h⁺_l = Σ_{j positive} δ(d_qj, z_l) and h_l = Σ_{j positive or negative} δ(d_qj, z_l), cumulative counts
/// H⁺_l = Σ_{l'≤l} h⁺_l', H_l = Σ_{l'≤l} h_l', and
/// <code>FastAP_q = (1/N⁺_q) Σ_l h⁺_l H⁺_l / H_l</code>
/// with N⁺_q its number of positives. The loss of q is 1 − FastAP_q (one value per query that has a positive).
/// </summary>
/// <remarks>
/// Defaults: L = 10 bins (11 centres), squared Euclidean distance of normalised embeddings
/// (<see cref="LpDistance"/> with power 2), <see cref="MeanReducer"/>. A similarity s (e.g. <see cref="CosineSimilarity"/>)
/// is mapped to 2 − 2s, which equals the squared distance for normalised embeddings. Bins with H_l = 0 contribute 0.
/// Mined tuples choose each query's positives and negatives; queries without a positive give no value.
/// </remarks>
public sealed class FastApLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numBins">L, the number of histogram bins over [0, 4].</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, normalised, power 2).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public FastApLoss(int numBins = 10, Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(power: 2f), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.AtLeast(numBins, 1);
        NumBins = numBins;
    }

    /// <summary>L, the number of bins over [0, 4].</summary>
    public int NumBins { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var (pos, neg) = batch.Masks();
        var posRows = pos.ToArray();
        int n = batch.Count, m = pos.Dim(1);
        var queries = new List<int>();
        var invPositives = new List<float>();
        for (int i = 0; i < n; i++)
        {
            int count = 0;
            for (int j = 0; j < m; j++)
            {
                count += posRows[(i * m) + j] > 0 ? 1 : 0;
            }
            if (count > 0)
            {
                queries.Add(i);
                invPositives.Add(1f / count);
            }
        }
        if (queries.Count == 0)
        {
            yield break;
        }
        int[] q = [.. queries];
        var raw = batch.Matrix(Distance);
        var d = Distance.IsInverted ? Ops.RSub(2f, Ops.Mul(raw, 2f)) : raw;
        d = Ops.IndexSelect(d, 0, q);
        var posMask = Ops.IndexSelect(pos, 0, q);
        var allMask = Ops.Add(posMask, Ops.IndexSelect(neg, 0, q));
        float delta = 4f / NumBins;
        Tensor? cumPos = null, cumAll = null, ap = null;
        for (int l = 0; l <= NumBins; l++)
        {
            // Triangular kernel around the centre lΔ.
            var kernel = Ops.Relu(Ops.RSub(1f, Ops.Mul(Ops.Abs(Ops.Add(d, -l * delta)), 1f / delta)));
            var hPos = Ops.Sum(Ops.Mul(kernel, posMask), 1);
            var hAll = Ops.Sum(Ops.Mul(kernel, allMask), 1);
            cumPos = cumPos is null ? hPos : Ops.Add(cumPos, hPos);
            cumAll = cumAll is null ? hAll : Ops.Add(cumAll, hAll);
            // H_l = 0 implies h⁺_l H⁺_l = 0; the clamp only keeps 0/0 out.
            var term = Ops.Div(Ops.Mul(hPos, cumPos), Ops.Clamp(cumAll, min: 1e-12f));
            ap = ap is null ? term : Ops.Add(ap, term);
        }
        var fastAp = Ops.Mul(ap!, Tensor.FromArray([.. invPositives], q.Length));
        yield return new LossTerm("fast_ap_loss", Ops.RSub(1f, fastAp), LossTermKind.Element, q);
    }
}
