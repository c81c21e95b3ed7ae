using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The instance loss of Zheng, Zheng, Garrett, Yang, Xu &amp; Shen, "Dual-Path Convolutional Image-Text Embeddings
/// with Instance Loss" (ACM TOMM 2020; arXiv 2017): every instance (in practice every label, e.g. an image and its
/// captions) is its own class, learnt by softmax classification through a trainable classifier W ∈ ℝ^{C×D}.
/// This implementation uses the cosine form: ℓᵢ = −log softmax(γ · cos(xᵢ, W))[yᵢ], i.e. cross-entropy over the
/// scaled cosine similarities between the embedding and every class weight.
/// </summary>
/// <remarks>
/// The classifier is the registered parameter "weights" ([numClasses, D], seeded normal initialisation); labels must
/// lie in [0, numClasses). With a distance instead of a similarity the logits are −γ·d. As a classification loss it
/// ignores mined tuples and the reference set. The log-softmax is max-stabilised, so γ = 64 does not overflow.
/// Defaults: γ = 64, <see cref="CosineSimilarity"/>, mean over embeddings.
/// </remarks>
public sealed class InstanceLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of instances (classes) C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="gamma">The scale γ &gt; 0 of the logits.</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="seed">Seed of the classifier initialisation.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public InstanceLoss(int numClasses, int embeddingSize, float gamma = 64f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, ulong seed = 0, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "weights",
            NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Tensor.RandN(rng, [t.Dim(0), t.Dim(1)])),
            distance ?? new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        Guard.Positive(gamma);
        Gamma = gamma;
    }

    /// <summary>The scale γ.</summary>
    public float Gamma { get; }

    /// <summary>The classifier weights [C, D] (the same tensor as <see cref="WeightedClassifierLoss.Weight"/>).</summary>
    public Tensor Weights => Weight;

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        // Own checks rather than CheckBatch: this loss ignores a reference set instead of rejecting it.
        if (batch.Embeddings.Dim(1) != EmbeddingSize)
        {
            throw new ArgumentException($"The embeddings have dimension {batch.Embeddings.Dim(1)} but InstanceLoss was created for {EmbeddingSize}.", "embeddings");
        }
        var labels = batch.Labels;
        var rows = Iota(labels.Length);
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)NumClasses)
            {
                throw new ArgumentException($"Label {labels[i]} is outside [0, {NumClasses}) (InstanceLoss has {NumClasses} classes).", "labels");
            }
        }
        var values = Distance.Pairwise(batch.Embeddings, Weight);
        var logits = Ops.Mul(values, Distance.IsInverted ? Gamma : -Gamma);
        var nll = Ops.Neg(Ops.Gather2D(Ops.LogSoftmax(logits, 1), rows, labels));
        yield return new LossTerm("instance_loss", nll, LossTermKind.Element, rows);
    }
}
