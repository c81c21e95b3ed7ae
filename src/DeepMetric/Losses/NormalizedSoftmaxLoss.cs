using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// Normalised softmax of Zhai &amp; Wu, "Classification is a Strong Baseline for Deep Metric Learning" (BMVC 2019):
/// cross-entropy over cosine logits scaled by a temperature, ℓᵢ = −log softmax(cos(xᵢ, W)/τ)_yᵢ with
/// cos(xᵢ, W_c) = x̂ᵢ·Ŵ_c for L2-normalised embeddings and class weights.
/// </summary>
/// <remarks>
/// Defaults: τ = 0.05, W [C, D] ~ N(0, 1) (the scale is irrelevant after normalisation), mean over the batch,
/// <see cref="CosineSimilarity"/>. Another similarity can be passed (its values are divided by τ); a distance gives
/// logits −d/τ. Parameter: <c>weight</c>.
/// </remarks>
public sealed class NormalizedSoftmaxLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="temperature">τ &gt; 0.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="distance">Distance between embeddings and class weights (default <see cref="DotProductSimilarity"/> on normalised embeddings, as PyTorch Metric Learning).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public NormalizedSoftmaxLoss(int numClasses, int embeddingSize, float temperature = 0.05f, ulong seed = 0, Distance? distance = null,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "weight", NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            distance ?? new DotProductSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        Guard.Positive(temperature);
        Temperature = temperature;
    }

    /// <summary>The temperature τ.</summary>
    public float Temperature { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        float scale = Distance.IsInverted ? 1f / Temperature : -1f / Temperature;
        var logits = Ops.Mul(WeightMatrix(batch), scale);
        yield return ElementTerm("loss", CrossEntropyPerRow(logits, batch.Labels));
    }
}
