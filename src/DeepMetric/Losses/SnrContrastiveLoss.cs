using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The signal-to-noise-ratio contrastive loss of Yuan, Chen, Wang, Ye &amp; Wang, "Signal-to-Noise Ratio: A Robust
/// Distance Metric for Deep Metric Learning" (CVPR 2019): the contrastive loss on the SNR distance
/// d(a, r) = Var(r − a) / Var(a), i.e. [d − m⁺]₊ for positive pairs and [m⁻ − d]₊ for negative pairs, plus an
/// optional regulariser λ · (1/N) Σᵢ |Σₖ xᵢₖ| that drives each embedding towards zero mean (the paper's
/// assumption that features have zero-mean noise).
/// </summary>
/// <remarks>
/// The regulariser is the term "zero_mean_reg" (already reduced), present only when λ &gt; 0; it is computed on the
/// batch embeddings only. The SNR distance is not symmetric: d(a, r) uses the anchor's variance as the signal.
/// Defaults: m⁺ = 0, m⁻ = 1, λ = 0, <see cref="SnrDistance"/> on normalised embeddings (PyTorch Metric Learning's), average of non-zero losses of each term.
/// </remarks>
public sealed class SnrContrastiveLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="posMargin">Positive pairs closer than this incur no loss.</param>
    /// <param name="negMargin">Negative pairs farther than this incur no loss.</param>
    /// <param name="regularizerWeight">Weight λ ≥ 0 of the zero-mean regulariser (0 = off).</param>
    /// <param name="distance">Distance (default <see cref="SnrDistance"/>).</param>
    /// <param name="reducer">Reducer (default <see cref="AvgNonZeroReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public SnrContrastiveLoss(float posMargin = 0f, float negMargin = 1f, float regularizerWeight = 0f, Distance? distance = null,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new SnrDistance(), reducer ?? new AvgNonZeroReducer(), embeddingRegularizers)
    {
        PosMargin = Guard.Finite(posMargin);
        NegMargin = Guard.Finite(negMargin);
        RegularizerWeight = Guard.NonNegative(regularizerWeight);
    }

    /// <summary>The positive margin m⁺.</summary>
    public float PosMargin { get; }

    /// <summary>The negative margin m⁻.</summary>
    public float NegMargin { get; }

    /// <summary>The zero-mean regulariser weight λ.</summary>
    public float RegularizerWeight { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        // The contrastive hinge on the SNR distance, plus the optional zero-mean regulariser.
        foreach (var term in ContrastiveLoss.HingeTerms(batch, Distance, PosMargin, NegMargin))
        {
            yield return term;
        }
        if (RegularizerWeight > 0)
        {
            var rowSums = Ops.Abs(Ops.Sum(batch.Embeddings, 1));
            yield return new LossTerm("zero_mean_reg", Ops.Mul(Ops.Mean(rowSums), RegularizerWeight), LossTermKind.AlreadyReduced);
        }
    }
}
