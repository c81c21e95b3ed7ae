using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The lifted structured loss of Song, Xiang, Jegelka &amp; Savarese, "Deep Metric Learning via Lifted Structured
/// Feature Embedding" (CVPR 2016), as PyTorch Metric Learning 2.8.1 computes it. For every positive pair (i, j):
/// J_ij = log Σ_{(a,k)∈N, a∈{i,j}} exp(m⁻ − D_ak) + D_ij − m⁺, and L = mean over positive pairs of ½[J_ij]₊²,
/// with N the negative pairs (mined, or all).
/// </summary>
/// <remarks>
/// The negatives of a pair are the negative pairs whose anchor is i or j, so with a separate reference set the
/// reference index j is matched against batch anchors as PML does (reference item j shares the index of batch item
/// j). A pair with no such negative has J_ij = D_ij − m⁺. With a similarity the exponents are s − m⁻ and m⁺ − s.
/// Defaults (PML's): m⁻ = 1, m⁺ = 0, Euclidean distance on normalised embeddings, <see cref="MeanReducer"/>.
/// The paper used unnormalised embeddings: pass <c>new LpDistance(normalizeEmbeddings: false)</c>.
/// </remarks>
public sealed class LiftedStructureLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="negMargin">m⁻, the margin of the negatives.</param>
    /// <param name="posMargin">m⁺, subtracted from the positive distance.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, normalised).</param>
    /// <param name="reducer">Reducer over positive pairs (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public LiftedStructureLoss(float negMargin = 1f, float posMargin = 0f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Finite(negMargin);
        Guard.Finite(posMargin);
        NegMargin = negMargin;
        PosMargin = posMargin;
    }

    /// <summary>The negative margin m⁻.</summary>
    public float NegMargin { get; }

    /// <summary>The positive margin m⁺.</summary>
    public float PosMargin { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var pairs = batch.Pairs();
        if (pairs.PosAnchors.Length == 0 || pairs.NegAnchors.Length == 0 || LossRows.AtMostOneOfEach(pairs))
        {
            yield break;
        }
        var d = batch.Matrix(Distance);
        var (_, neg) = batch.Masks();
        int n = batch.Count;
        // Per batch row: log Σ exp(m⁻ − D) over its negative pairs (0 and "absent" for rows without any).
        var hasNeg = LossRows.RowAny(neg);
        var lse = LossRows.MaskedLogSumExpOrZero(Distance.Separation(d, NegMargin), neg);
        int count = pairs.PosAnchors.Length;
        var secondRow = new int[count];
        var keep = new float[count * 2];
        var has = hasNeg.ReadOnlySpan;
        for (int k = 0; k < count; k++)
        {
            int i = pairs.PosAnchors[k], j = pairs.Positives[k];
            keep[2 * k] = has[i];
            // The anchor index equal to j: a batch row only if j < N.
            bool inBatch = j < n;
            secondRow[k] = inBatch ? j : 0;
            keep[(2 * k) + 1] = inBatch && j != i ? has[j] : 0f;
        }
        var both = Ops.Stack([Ops.IndexSelect(lse, 0, pairs.PosAnchors), Ops.IndexSelect(lse, 0, secondRow)], 1);
        var negPart = LossRows.MaskedLogSumExpOrZero(both, Tensor.FromArray(keep, count, 2));
        var posPart = Distance.Separation(PosMargin, d[pairs.PosAnchors, pairs.Positives]);
        var values = Ops.Mul(Ops.Pow(Ops.Relu(Ops.Add(negPart, posPart)), 2f), 0.5f);
        yield return new LossTerm("loss", values, LossTermKind.PositivePair, pairs.PosAnchors);
    }
}
