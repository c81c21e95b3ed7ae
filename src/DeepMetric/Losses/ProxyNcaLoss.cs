using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// Proxy-NCA of Movshovitz-Attias et al., "No Fuss Distance Metric Learning using Proxies" (ICCV 2017): one learned
/// proxy per class; each embedding gets a softmax over the negative (scaled) squared distances to the normalised
/// proxies, ℓᵢ = −log( e^{−s·d(x̂ᵢ, p̂_yᵢ)²} / Σ_c e^{−s·d(x̂ᵢ, p̂_c)²} ).
/// </summary>
/// <remarks>
/// <para>Defaults (as PyTorch Metric Learning): squared Euclidean distance on normalised embeddings and proxies
/// (<see cref="LpDistance"/> with power 2), softmax scale s = 1, proxies [C, D] ~ N(0, 1), mean over the batch.
/// Like PyTorch Metric Learning, the positive proxy is part of the softmax denominator (the paper's formula excludes
/// it; including it keeps the loss bounded below by 0). With a similarity the logits are +s·similarity.</para>
/// <para>Parameter: <c>proxies</c>.</para>
/// </remarks>
public sealed class ProxyNcaLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="softmaxScale">s &gt; 0.</param>
    /// <param name="seed">Seed of the proxy initialisation.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, normalised, power 2).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public ProxyNcaLoss(int numClasses, int embeddingSize, float softmaxScale = 1f, ulong seed = 0, Distance? distance = null,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "proxies", NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            distance ?? new LpDistance(power: 2f), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        Guard.Positive(softmaxScale);
        SoftmaxScale = softmaxScale;
    }

    /// <summary>The softmax scale s.</summary>
    public float SoftmaxScale { get; }

    /// <summary>The proxies [C, D] (the same tensor as <see cref="WeightedClassifierLoss.Weight"/>).</summary>
    public Tensor Proxies => Weight;

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        var logits = Ops.Mul(WeightMatrix(batch), Distance.IsInverted ? SoftmaxScale : -SoftmaxScale);
        yield return ElementTerm("loss", CrossEntropyPerRow(logits, batch.Labels));
    }
}
