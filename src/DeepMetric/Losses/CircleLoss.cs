using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The circle loss of Sun et al., "Circle Loss: A Unified Perspective of Pair Similarity Optimization" (CVPR 2020),
/// pair-wise form. Per anchor, with similarities s:
/// L = softplus(log Σ_{n} exp(γ αₙ (sₙ − Δₙ)) + log Σ_{p} exp(−γ αₚ (sₚ − Δₚ))),
/// αₚ = [1 + m − sₚ]₊, αₙ = [sₙ + m]₊ (treated as constants, not differentiated), Δₚ = 1 − m, Δₙ = m.
/// </summary>
/// <remarks>
/// Defaults (the paper's face-recognition setting): m = 0.4, γ = 80, cosine similarity, <see cref="AvgNonZeroReducer"/>.
/// The two masked log-sum-exps keep large γ (e.g. 256) from overflowing. Anchors without a positive or without a
/// negative contribute nothing. The loss is defined on similarities; with a distance, the negated distance
/// plays the role of s (so m is then measured in negated-distance units).
/// </remarks>
public sealed class CircleLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="margin">m, the relaxation margin.</param>
    /// <param name="gamma">γ, the scale (&gt; 0).</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer over anchors (default <see cref="AvgNonZeroReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public CircleLoss(float margin = 0.4f, float gamma = 80f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new CosineSimilarity(), reducer ?? new AvgNonZeroReducer(), embeddingRegularizers)
    {
        Guard.Finite(margin);
        Guard.Positive(gamma);
        Margin = margin;
        Gamma = gamma;
    }

    /// <summary>The margin m.</summary>
    public float Margin { get; }

    /// <summary>The scale γ.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var (pos, neg) = batch.Masks();
        var rows = LossRows.RowsWithAll(pos, neg);
        var s = LossRows.AsSimilarity(Distance, LossRows.Rows(batch.Matrix(Distance), rows));
        pos = LossRows.MaskRows(pos, rows);
        neg = LossRows.MaskRows(neg, rows);
        // The adaptive weights only scale each pair's gradient; the paper stops their gradient.
        var alphaP = Ops.Relu(Ops.RSub(1f + Margin, s)).Detach();
        var alphaN = Ops.Relu(Ops.Add(s, Margin)).Detach();
        var logitP = Ops.Mul(Ops.Mul(alphaP, Ops.Add(s, -(1f - Margin))), -Gamma);
        var logitN = Ops.Mul(Ops.Mul(alphaN, Ops.Add(s, -Margin)), Gamma);
        var values = Ops.Softplus(Ops.Add(Ops.LogSumExp(logitP, 1, mask: pos), Ops.LogSumExp(logitN, 1, mask: neg)));
        yield return new LossTerm("loss", values, LossTermKind.Element, rows);
    }
}
