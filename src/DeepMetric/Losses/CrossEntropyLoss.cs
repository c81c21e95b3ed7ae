using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// Softmax cross-entropy through a linear classifier: logits z = x·Wᵀ (+ b), loss per embedding
/// ℓᵢ = −Σ_c q_c log softmax(zᵢ)_c with the label-smoothed target q = (1 − ε)·onehot(yᵢ) + ε/C
/// (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016), computed stably as
/// logsumexp(zᵢ) − (1 − ε)·zᵢ,yᵢ − ε·mean_c zᵢ,c.
/// </summary>
/// <remarks>
/// Defaults: W [C, D] and b [C] initialised as PyTorch's <c>nn.Linear</c> (U(±1/√D)), bias on, ε = 0, mean over the
/// batch (<see cref="MeanReducer"/>). The distance is <see cref="DotProductSimilarity"/> (unnormalised), which is what
/// makes the logits a linear map. Parameters: <c>weight</c>, <c>bias</c>.
/// </remarks>
public sealed class CrossEntropyLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="bias">Whether the classifier has a bias.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public CrossEntropyLoss(int numClasses, int embeddingSize, bool bias = true, float labelSmoothing = 0f, ulong seed = 0,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "weight",
            LinearWeight(numClasses, embeddingSize, seed),
            new DotProductSimilarity(normalizeEmbeddings: false), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        Guard.InRange(labelSmoothing, 0f, 1f);
        LabelSmoothing = labelSmoothing;
        if (bias)
        {
            Bias = RegisterParameter("bias", LinearBias(numClasses, embeddingSize, seed));
        }
    }

    /// <summary>The label-smoothing ε.</summary>
    public float LabelSmoothing { get; }

    /// <summary>The bias [C], or null without one.</summary>
    public Tensor? Bias { get; }

    /// <summary>The logits x·Wᵀ (+ b) [N, C] of a batch (e.g. for classification accuracy).</summary>
    public Tensor Logits(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return Ops.Linear(embeddings, Weight, Bias);
    }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        var logits = LinearLogits(batch, Bias);
        var loss = CrossEntropyPerRow(logits, batch.Labels);
        if (LabelSmoothing > 0f)
        {
            // (1−ε)(lse − z_y) + ε(lse − mean z) = [lse − z_y] + ε(z_y − mean z).
            var target = Ops.Gather2D(logits, Iota(batch.Count), batch.Labels);
            loss = Ops.Add(loss, Ops.Mul(Ops.Sub(target, Ops.Mean(logits, 1)), LabelSmoothing));
        }
        yield return ElementTerm("loss", loss);
    }
}
