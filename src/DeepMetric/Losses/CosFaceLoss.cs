using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// CosFace / large-margin cosine loss of Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition"
/// (CVPR 2018): the margin is subtracted from the target cosine, ψ(cos θ) = cos θ − m, and the logits are scaled
/// by s: ℓᵢ = −log( e^{s(cos θ_yᵢ − m)} / (e^{s(cos θ_yᵢ − m)} + Σ_{c≠yᵢ} e^{s·cos θ_c}) ).
/// </summary>
/// <remarks>
/// Defaults (as PyTorch Metric Learning): s = 64, m = 0.35, W [C, D] ~ N(0, 1), mean over the batch. Parameter: <c>weight</c>.
/// </remarks>
public sealed class CosFaceLoss : AngularMarginLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="margin">m, subtracted from the target cosine.</param>
    /// <param name="scale">s.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public CosFaceLoss(int numClasses, int embeddingSize, float margin = 0.35f, float scale = 64f, ulong seed = 0, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            scale, margin, reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
    }

    /// <inheritdoc/>
    protected override Tensor ApplyMargin(Tensor targetCosines) => Ops.Add(targetCosines, -Margin);
}
