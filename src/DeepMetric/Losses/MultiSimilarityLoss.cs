using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The multi-similarity loss of Wang, Han, Huang, Dong &amp; Scott, "Multi-Similarity Loss with General Pair
/// Weighting for Deep Metric Learning" (CVPR 2019). Per anchor i, with similarities S:
/// Lᵢ = (1/α) log(1 + Σ_{k∈P(i)} exp(−α(S_ik − λ))) + (1/β) log(1 + Σ_{k∈N(i)} exp(β(S_ik − λ))).
/// </summary>
/// <remarks>
/// Defaults (the paper's): α = 2, β = 50, base λ = 0.5, cosine similarity, <see cref="MeanReducer"/> over anchors.
/// Both parts are masked log-sum-exps with the implicit 1 (e⁰), so large β cannot overflow and anchors without
/// positives (or negatives) simply drop that part. The paper's pair mining is a separate miner; mined tuples
/// restrict P(i) and N(i); every anchor of the batch counts in the mean, as in the paper. With a distance the exponents flip sign (α(d − λ) and −β(d − λ)).
/// </remarks>
public sealed class MultiSimilarityLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="alpha">α, the positive scale (&gt; 0).</param>
    /// <param name="beta">β, the negative scale (&gt; 0).</param>
    /// <param name="baseValue">λ, the similarity margin the pairs are compared with.</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer over anchors (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public MultiSimilarityLoss(float alpha = 2f, float beta = 50f, float baseValue = 0.5f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Positive(alpha);
        Guard.Positive(beta);
        Guard.Finite(baseValue);
        Alpha = alpha;
        Beta = beta;
        Base = baseValue;
    }

    /// <summary>α, the positive scale.</summary>
    public float Alpha { get; }

    /// <summary>β, the negative scale.</summary>
    public float Beta { get; }

    /// <summary>λ, the base similarity.</summary>
    public float Base { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var (pos, neg) = batch.Masks();
        var s = batch.Matrix(Distance);
        // Separation(S, λ) = S − λ for similarities (λ − d for distances): positives are penalised below λ, negatives above.
        var posPart = Ops.LogSumExp(Ops.Mul(Distance.Separation(s, Base), -Alpha), 1, mask: pos, includeZero: true);
        var negPart = Ops.LogSumExp(Ops.Mul(Distance.Separation(Base, s), -Beta), 1, mask: neg, includeZero: true);
        var values = Ops.Add(Ops.Mul(posPart, 1f / Alpha), Ops.Mul(negPart, 1f / Beta));
        // Every anchor counts (the paper averages over the whole batch); anchors without pairs give exactly 0.
        yield return new LossTerm("loss", values, LossTermKind.Element, Enumerable.Range(0, batch.Count).ToArray());
    }
}
