using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The normalised-temperature cross-entropy loss of Chen, Kornblith, Norouzi &amp; Hinton, "A Simple Framework for
/// Contrastive Learning of Visual Representations" (SimCLR, ICML 2020), i.e. InfoNCE (van den Oord et al., 2018)
/// with labels: per positive pair (a, p),
/// ℓ_ap = −log( exp(s_ap/τ) / (exp(s_ap/τ) + Σ_{n∈N(a)} exp(s_an/τ)) ) = softplus(log Σ_{n∈N(a)} exp(s_an/τ) − s_ap/τ).
/// </summary>
/// <remarks>
/// Defaults: τ = 0.07, cosine similarity, <see cref="MeanReducer"/> over positive pairs. Written as a softplus of a
/// masked log-sum-exp, so τ = 0.01 cannot overflow; a pair whose anchor has no negative gives exactly 0.
/// With a distance, −d plays the role of s. Mined tuples choose the positive pairs and N(a).
/// </remarks>
public sealed class NTXentLoss : MetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">τ (&gt; 0).</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer over positive pairs (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public NTXentLoss(float temperature = 0.07f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Positive(temperature);
        Temperature = temperature;
    }

    /// <summary>The temperature τ.</summary>
    public float Temperature { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var pairs = batch.Pairs();
        var (_, neg) = batch.Masks();
        var logits = Ops.Mul(LossRows.AsSimilarity(Distance, batch.Matrix(Distance)), 1f / Temperature);
        // −∞ for anchors without negatives: softplus(−∞) = 0 with a zero gradient.
        var negLse = Ops.LogSumExp(logits, 1, mask: neg);
        var values = Ops.Softplus(Ops.Sub(Ops.IndexSelect(negLse, 0, pairs.PosAnchors), logits[pairs.PosAnchors, pairs.Positives]));
        yield return new LossTerm("loss", values, LossTermKind.PositivePair, pairs.PosAnchors);
    }
}
