using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The supervised contrastive loss of Khosla et al., "Supervised Contrastive Learning" (NeurIPS 2020), the
/// L_out form: per anchor i with positives P(i) and all other samples A(i),
/// Lᵢ = −(1/|P(i)|) Σ_{p∈P(i)} log( exp(s_ip/τ) / Σ_{a∈A(i)} exp(s_ia/τ) ).
/// </summary>
/// <remarks>
/// Defaults: τ = 0.1, cosine similarity, <see cref="AvgNonZeroReducer"/> over anchors. Anchors without a positive are
/// excluded, and a batch with no negative pair gives 0 (as PyTorch Metric Learning). With mined tuples, P(i) and A(i)
/// are the mined positives and the mined positives and negatives.
/// With a distance, −d plays the role of s. The denominators are masked log-sum-exps, so small τ cannot overflow.
/// </remarks>
public sealed class SupConLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">τ (&gt; 0).</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer over anchors (default <see cref="AvgNonZeroReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public SupConLoss(float temperature = 0.1f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new CosineSimilarity(), reducer ?? new AvgNonZeroReducer(), embeddingRegularizers)
    {
        Guard.Positive(temperature);
        Temperature = temperature;
    }

    /// <summary>The temperature τ.</summary>
    public float Temperature { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var (pos, neg) = batch.Masks();
        // As PyTorch Metric Learning: a batch without a positive pair or without a negative pair gives 0.
        if (LossRows.RowsWithAll(neg).Length == 0 || LossRows.AtMostOneOfEach(batch.Pairs()))
        {
            yield break;
        }
        var rows = LossRows.RowsWithAll(pos);
        var logits = Ops.Mul(LossRows.AsSimilarity(Distance, LossRows.Rows(batch.Matrix(Distance), rows)), 1f / Temperature);
        pos = LossRows.MaskRows(pos, rows);
        var all = LossRows.Union(pos, LossRows.MaskRows(neg, rows));
        // Every kept row has a positive, so its denominator is finite.
        var logProb = Ops.Sub(logits, Ops.LogSumExp(logits, 1, keepDim: true, mask: all));
        var values = Ops.Neg(Ops.Mean(logProb, 1, mask: pos));
        yield return new LossTerm("loss", values, LossTermKind.Element, rows);
    }
}
