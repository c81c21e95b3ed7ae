using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The intra-pair variance loss of Kim, Kim, Cho &amp; Kwak, "Deep Metric Learning Beyond Binary Supervision"
/// (CVPR 2019), in the form of PyTorch Metric Learning: it penalises pairs that stray from the mean of their kind,
/// squeezing the spread of positive and of negative similarities. With a similarity s and the batch means μ⁺, μ⁻:
/// positives [(1 − ε⁺)μ⁺ − s]₊², negatives [s − (1 + ε⁻)μ⁻]₊².
/// </summary>
/// <remarks>
/// The gradient flows through the means, as PyTorch Metric Learning (<c>detachMean: true</c> makes them constants). For a distance d the directions flip:
/// positives [d − (1 + ε⁺)μ⁺]₊², negatives [(1 − ε⁻)μ⁻ − d]₊². Pairs come from the mined tuples or all valid pairs;
/// a side without pairs contributes 0. It is meant to be combined with another loss (e.g. a triplet loss).
/// Defaults: ε⁺ = ε⁻ = 0.01, <see cref="CosineSimilarity"/>, mean of each term.
/// </remarks>
public sealed class IntraPairVarianceLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="posEps">Relative slack ε⁺ around the mean positive value (≥ 0).</param>
    /// <param name="negEps">Relative slack ε⁻ around the mean negative value (≥ 0).</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="detachMean">Treat the mean values as constants (no gradient through them); PML (default false)
    /// differentiates through them.</param>
    public IntraPairVarianceLoss(float posEps = 0.01f, float negEps = 0.01f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, bool detachMean = false)
        : base(distance ?? new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.NonNegative(posEps);
        Guard.NonNegative(negEps);
        PosEps = posEps;
        NegEps = negEps;
        DetachMean = detachMean;
    }

    /// <summary>Whether the means are constants for the gradient.</summary>
    public bool DetachMean { get; }

    /// <summary>The positive slack ε⁺.</summary>
    public float PosEps { get; }

    /// <summary>The negative slack ε⁻.</summary>
    public float NegEps { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var pairs = batch.Pairs();
        var d = batch.Matrix(Distance);
        var pos = d[pairs.PosAnchors, pairs.Positives];
        var neg = d[pairs.NegAnchors, pairs.Negatives];
        bool sim = Distance.IsInverted;
        // Positives should be at least as close as the (slightly relaxed) mean positive, negatives at least as far
        // as the relaxed mean negative.
        var posBound = Ops.Mul(Mean(pos), sim ? 1f - PosEps : 1f + PosEps);
        var negBound = Ops.Mul(Mean(neg), sim ? 1f + NegEps : 1f - NegEps);
        var posViolation = Ops.Relu(Ops.Neg(Distance.Separation(pos, posBound)));
        var negViolation = Ops.Relu(Ops.Neg(Distance.Separation(negBound, neg)));
        yield return new LossTerm("pos_loss", Ops.Mul(posViolation, posViolation), LossTermKind.PositivePair, pairs.PosAnchors);
        yield return new LossTerm("neg_loss", Ops.Mul(negViolation, negViolation), LossTermKind.NegativePair, pairs.NegAnchors);
    }

    private Tensor Mean(Tensor values) =>
        DetachMean || values.Size == 0 ? Tensor.Scalar(DetachedMean(values)) : Ops.Mean(values);

    private static float DetachedMean(Tensor values)
    {
        var v = values.ReadOnlySpan;
        double s = 0;
        for (int i = 0; i < v.Length; i++)
        {
            s += v[i];
        }
        return v.Length == 0 ? 0f : (float)(s / v.Length);
    }
}
