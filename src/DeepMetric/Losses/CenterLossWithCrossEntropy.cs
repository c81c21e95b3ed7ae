using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The joint supervision of Wen et al., "A Discriminative Feature Learning Approach for Deep Face Recognition"
/// (ECCV 2016): softmax cross-entropy through a linear classifier plus λ times the center loss,
/// ℓᵢ = −log softmax(W xᵢ + b)_yᵢ + λ·½‖xᵢ − c_yᵢ‖²,
/// with the centres updated after each computation by the paper's rule (see <see cref="CenterLoss"/>).
/// </summary>
/// <remarks>
/// <para>Defaults: λ = 0.003 and α = 0.5 (the values of the paper's face-recognition experiments), classifier W [C, D]
/// and b [C] initialised as PyTorch's <c>nn.Linear</c> (U(±1/√D)), centres [C, D] at 0, mean over the batch for both
/// terms (the paper sums both over the mini-batch, so their ratio, and λ, are unchanged).</para>
/// <para>Terms: "softmax_loss" and "center_loss" (the latter already multiplied by λ), one value per embedding each.
/// Parameters: <c>weight</c>, <c>bias</c> (trained); buffer: <c>centers</c> (updated in place in training mode only,
/// from a copy of the embedding values).</para>
/// </remarks>
public sealed class CenterLossWithCrossEntropy : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="lambda">λ ≥ 0, the weight of the center loss.</param>
    /// <param name="alpha">α in [0, 1], the centre learning rate.</param>
    /// <param name="bias">Whether the classifier has a bias.</param>
    /// <param name="seed">Seed of the classifier initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public CenterLossWithCrossEntropy(int numClasses, int embeddingSize, float lambda = 0.003f, float alpha = 0.5f, bool bias = true, ulong seed = 0,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "weight",
            LinearWeight(numClasses, embeddingSize, seed),
            new DotProductSimilarity(normalizeEmbeddings: false), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        Guard.NonNegative(lambda);
        Lambda = lambda;
        Alpha = CenterLoss.CheckAlpha(alpha);
        if (bias)
        {
            Bias = RegisterParameter("bias", LinearBias(numClasses, embeddingSize, seed));
        }
        Centers = RegisterBuffer("centers", CenterLoss.NewCenters(numClasses, embeddingSize));
    }

    /// <summary>The weight λ of the center loss.</summary>
    public float Lambda { get; }

    /// <summary>The centre learning rate α.</summary>
    public float Alpha { get; }

    /// <summary>The classifier bias [C], or null without one.</summary>
    public Tensor? Bias { get; }

    /// <summary>The class centres [C, D] (a buffer, updated in place).</summary>
    public Tensor Centers { get; }

    /// <summary>The classifier logits x·Wᵀ (+ b) [N, C] of a batch.</summary>
    public Tensor Logits(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return Ops.Linear(embeddings, Weight, Bias);
    }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        // Not an iterator: the centre update must happen during this call, after the loss has read the old centres.
        CheckBatch(batch);
        var logits = LinearLogits(batch, Bias);
        var softmax = CrossEntropyPerRow(logits, batch.Labels);
        var center = Ops.Mul(CenterLoss.HalfSquaredDistances(batch.Embeddings, batch.Labels, Centers), Lambda);
        if (IsTraining)
        {
            CenterLoss.UpdateCenters(Centers, batch.Embeddings, batch.Labels, Alpha);
        }
        return [ElementTerm("softmax_loss", softmax), ElementTerm("center_loss", center)];
    }
}
