using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The contrastive loss of Hadsell, Chopra &amp; LeCun, "Dimensionality Reduction by Learning an Invariant Mapping"
/// (CVPR 2006), with a margin on each side: positive pairs are pulled until they are closer than
/// <see cref="PosMargin"/>, negative pairs pushed until they are farther than <see cref="NegMargin"/>.
/// For a distance d: [d − m⁺]₊ and [m⁻ − d]₊; for a similarity s: [m⁺ − s]₊ and [s − m⁻]₊.
/// Defaults: Euclidean distance on normalised embeddings, m⁺ = 0, m⁻ = 1, average of non-zero losses.
/// </summary>
public sealed class ContrastiveLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="posMargin">Positive pairs closer than this incur no loss.</param>
    /// <param name="negMargin">Negative pairs farther than this incur no loss.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, L2, normalised).</param>
    /// <param name="reducer">Reducer (default <see cref="AvgNonZeroReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public ContrastiveLoss(float posMargin = 0f, float negMargin = 1f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(), reducer ?? new AvgNonZeroReducer(), embeddingRegularizers)
    {
        PosMargin = Guard.Finite(posMargin);
        NegMargin = Guard.Finite(negMargin);
    }

    /// <summary>The positive margin m⁺.</summary>
    public float PosMargin { get; }

    /// <summary>The negative margin m⁻.</summary>
    public float NegMargin { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch) => HingeTerms(batch, Distance, PosMargin, NegMargin);

    /// <summary>
    /// The contrastive hinges on the batch's pairs under <paramref name="distance"/>: "pos_loss" = [−separation(pos, m⁺)]₊
    /// and "neg_loss" = [−separation(m⁻, neg)]₊ (shared with <see cref="SnrContrastiveLoss"/>).
    /// </summary>
    internal static LossTerm[] HingeTerms(MetricBatch batch, Distance distance, float posMargin, float negMargin)
    {
        var pairs = batch.Pairs();
        var d = batch.Matrix(distance);
        var pos = d[pairs.PosAnchors, pairs.Positives];
        var neg = d[pairs.NegAnchors, pairs.Negatives];
        // Positives should be closer than m⁺ (violation = −separation(pos, m⁺)); negatives farther than m⁻.
        return
        [
            new LossTerm("pos_loss", Ops.Relu(Ops.Neg(distance.Separation(pos, posMargin))), LossTermKind.PositivePair, pairs.PosAnchors),
            new LossTerm("neg_loss", Ops.Relu(Ops.Neg(distance.Separation(negMargin, neg))), LossTermKind.NegativePair, pairs.NegAnchors),
        ];
    }
}
