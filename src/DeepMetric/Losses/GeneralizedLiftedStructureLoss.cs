using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The generalised lifted structure loss of Hermans, Beyer &amp; Leibe, "In Defense of the Triplet Loss for Person
/// Re-Identification" (2017), the per-anchor form of Song et al.'s lifted loss used by PyTorch Metric Learning:
/// Lᵢ = softplus(log Σ_{p∈P(i)} exp(D_ip − m⁺) + log Σ_{n∈N(i)} exp(m⁻ − D_in)).
/// </summary>
/// <remarks>
/// Written with the distance's direction: for a similarity s the exponents are m⁺ − s and s − m⁻.
/// Anchors without a positive or without a negative contribute nothing.
/// Defaults: m⁺ = 0, m⁻ = 1, Euclidean distance on normalised embeddings, <see cref="MeanReducer"/>.
/// </remarks>
public sealed class GeneralizedLiftedStructureLoss : MetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="posMargin">m⁺: positives closer than this are barely penalised.</param>
    /// <param name="negMargin">m⁻: negatives farther than this are barely penalised.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, normalised).</param>
    /// <param name="reducer">Reducer over anchors (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public GeneralizedLiftedStructureLoss(float posMargin = 0f, float negMargin = 1f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Finite(posMargin);
        Guard.Finite(negMargin);
        PosMargin = posMargin;
        NegMargin = negMargin;
    }

    /// <summary>The positive margin m⁺.</summary>
    public float PosMargin { get; }

    /// <summary>The negative margin m⁻.</summary>
    public float NegMargin { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var (pos, neg) = batch.Masks();
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
