using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// SphereFace / A-Softmax loss of Liu et al., "SphereFace: Deep Hypersphere Embedding for Face Recognition"
/// (CVPR 2017): the large-margin softmax with class weights normalised to unit length and no bias, so the logits are
/// ‖x‖cos θ_c and the target logit is ‖x‖ψ(θ_y) with the monotone extension
/// ψ(θ) = (−1)ᵏ cos(mθ) − 2k for θ ∈ [kπ/m, (k+1)π/m], k ∈ [0, m − 1]:
/// ℓᵢ = −log( e^{s‖xᵢ‖ψ(θ_yᵢ)} / (e^{s‖xᵢ‖ψ(θ_yᵢ)} + Σ_{c≠yᵢ} e^{s‖xᵢ‖cos θ_c}) ).
/// </summary>
/// <remarks>
/// <para>This is <see cref="LargeMarginSoftmaxLoss"/> with <c>normalizeWeights: true</c> (same computation: cos(mθ) as the
/// Chebyshev polynomial T_m(cos θ), k a per-row constant, log-sum-exp softmax) under the paper's name.</para>
/// <para>Defaults (the paper's): integer margin m = 4, s = 1, W [C, D] ~ N(0, 1) (only its direction matters), mean over the
/// batch. The paper's training-time annealing (λ cos θ + ψ)/(1 + λ) is not applied. Parameter: <c>weight</c>.</para>
/// </remarks>
public sealed class SphereFaceLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="margin">Integer angular multiplier m ≥ 1 (m = 1 is the normalised-weight softmax).</param>
    /// <param name="scale">s &gt; 0 multiplying all logits.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public SphereFaceLoss(int numClasses, int embeddingSize, int margin = 4, float scale = 1f, ulong seed = 0,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "weight", NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        Margin = Guard.AtLeast(margin, 1);
        Scale = Guard.Positive(scale);
    }

    /// <summary>The integer margin m.</summary>
    public int Margin { get; }

    /// <summary>The logit scale s.</summary>
    public float Scale { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        yield return ElementTerm("loss", LargeMarginSoftmaxLoss.LossPerRow(batch, Weight, WeightMatrix(batch), Margin, Scale, normalizeWeights: true));
    }
}
