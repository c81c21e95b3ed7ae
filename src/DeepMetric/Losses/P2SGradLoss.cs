using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric;

/// <summary>
/// P2SGrad loss of Zhang et al., "P2SGrad: Refined Gradients for Optimizing Deep Face Models" (CVPR 2019), in its
/// mean-squared-error form: with cos θᵢ,c = x̂ᵢ·Ŵ_c (normalised embedding and class weight),
/// ℓᵢ = ½ Σ_c (cos θᵢ,c − 1[c = yᵢ])².
/// Its gradient, ∂ℓᵢ/∂xᵢ = Σ_c (cos θᵢ,c − 1[c = yᵢ]) ∂cos θᵢ,c/∂xᵢ (and likewise for W_c), is exactly the
/// paper's P2SGrad, which has no scale or margin hyperparameter.
/// </summary>
/// <remarks>
/// <para>The ½ makes the gradient equal to P2SGrad rather than twice it. The common implementation as
/// <c>MSELoss(cos, onehot)</c> averaged over all N·C entries is this loss times 2/C (same direction, smaller step).</para>
/// <para>Defaults: W [C, D] ~ N(0, 1) (only its direction matters), cosine similarity, mean over the batch. A zero
/// embedding has cosine 0 with every class (finite gradient). Parameter: <c>weight</c>.</para>
/// </remarks>
public sealed class P2SGradLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public P2SGradLoss(int numClasses, int embeddingSize, ulong seed = 0, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "weight", NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
    }

    /// <summary>The [N, C] cosines between the batch and each class (e.g. for classification).</summary>
    public Tensor Cosines(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return Distance.Pairwise(embeddings, Weight);
    }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        int n = batch.Count, c = NumClasses;
        var oneHot = new float[n * c];
        for (int i = 0; i < n; i++)
        {
            oneHot[(i * c) + batch.Labels[i]] = 1f;
        }
        var diff = Ops.Sub(WeightMatrix(batch), Tensor.Wrap(oneHot, n, c));
        yield return ElementTerm("loss", Ops.Mul(Ops.Sum(Ops.Mul(diff, diff), 1), 0.5f));
    }
}
