using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The generalised lifted structure loss of Hermans, Beyer &amp; Leibe, "In Defense of the Triplet Loss for Person
/// Re-Identification" (2017), the per-anchor form of Song et al.'s lifted loss used by PyTorch Metric Learning:
/// Lᵢ = [log Σ_{p∈P(i)} exp(D_ip − m⁺) + log Σ_{n∈N(i)} exp(m⁻ − D_in)]₊, as PyTorch Metric Learning 2.8.1 computes it.
/// </summary>
/// <remarks>
/// Written with the distance's direction: for a similarity s the exponents are m⁺ − s and s − m⁻.
/// Every anchor row counts (the mean is over all N); a sum with no positives (or no negatives) is 0.
/// The paper's smooth form, softplus of the sum over anchors having both, is <c>smooth: true</c>.
/// Defaults: m⁺ = 0, m⁻ = 1, Euclidean distance on normalised embeddings, <see cref="MeanReducer"/>.
/// </remarks>
public sealed class GeneralizedLiftedStructureLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="posMargin">m⁺: positives closer than this are barely penalised.</param>
    /// <param name="negMargin">m⁻: negatives farther than this are barely penalised.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, normalised).</param>
    /// <param name="reducer">Reducer over anchors (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="smooth">softplus instead of the hinge, over anchors having both a positive and a negative only
    /// (Hermans et al.'s formulation; PyTorch Metric Learning uses the hinge over every anchor).</param>
    public GeneralizedLiftedStructureLoss(float posMargin = 0f, float negMargin = 1f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, bool smooth = false)
        : base(distance ?? new LpDistance(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Finite(posMargin);
        Guard.Finite(negMargin);
        PosMargin = posMargin;
        NegMargin = negMargin;
        Smooth = smooth;
    }

    /// <summary>True for the softplus form over anchors having both a positive and a negative.</summary>
    public bool Smooth { get; }

    /// <summary>The positive margin m⁺.</summary>
    public float PosMargin { get; }

    /// <summary>The negative margin m⁻.</summary>
    public float NegMargin { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        if (LossRows.AtMostOneOfEach(batch.Pairs()))
        {
            yield break;
        }
        var (pos, neg) = batch.Masks();
        if (!Smooth)
        {
            var m = batch.Matrix(Distance);
            var p = LossRows.MaskedLogSumExpOrZero(Ops.Neg(Distance.Separation(m, PosMargin)), pos);
            var n = LossRows.MaskedLogSumExpOrZero(Ops.Neg(Distance.Separation(NegMargin, m)), neg);
            yield return new LossTerm("loss", Ops.Relu(Ops.Add(p, n)), LossTermKind.Element, Enumerable.Range(0, batch.Count).ToArray());
            yield break;
        }
        var rows = LossRows.RowsWithAll(pos, neg);
        var d = LossRows.Rows(batch.Matrix(Distance), rows);
        pos = LossRows.MaskRows(pos, rows);
        neg = LossRows.MaskRows(neg, rows);
        // −Separation(x, m) is "how far x is beyond m on the wrong side": d − m⁺ for distances, m⁺ − s for similarities.
        var posLse = Ops.LogSumExp(Ops.Neg(Distance.Separation(d, PosMargin)), 1, mask: pos);
        var negLse = Ops.LogSumExp(Ops.Neg(Distance.Separation(NegMargin, d)), 1, mask: neg);
        yield return new LossTerm("loss", Ops.Softplus(Ops.Add(posLse, negLse)), LossTermKind.Element, rows);
    }
}
