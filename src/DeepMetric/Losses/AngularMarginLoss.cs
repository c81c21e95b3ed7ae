using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// Shared mechanism of the additive-margin softmax losses (ArcFace, CosFace, sub-centre ArcFace): cosine logits
/// cᵢ,c = cos θᵢ,c between the normalised embedding and class weight, the target cosine cᵢ,yᵢ replaced by a margin
/// function ψ(cᵢ,yᵢ) (<see cref="ApplyMargin"/>), everything scaled by s, and softmax cross-entropy
/// ℓᵢ = −log( e^{s·ψ(cos θ_yᵢ)} / (e^{s·ψ(cos θ_yᵢ)} + Σ_{c≠yᵢ} e^{s·cos θ_c}) ).
/// </summary>
/// <remarks>
/// The softmax is evaluated as log-sum-exp, so s = 64 with embeddings aligned to the wrong class stays finite.
/// </remarks>
public abstract class AngularMarginLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss with cosine logits from <paramref name="weight"/>.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="weight">Initial weight [k·C, D].</param>
    /// <param name="scale">s &gt; 0.</param>
    /// <param name="margin">m (finite).</param>
    /// <param name="reducer">Reducer.</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    protected AngularMarginLoss(int numClasses, int embeddingSize, Tensor weight, float scale, float margin, Reducer reducer,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers, IEnumerable<WeightRegularizer>? weightRegularizers)
        : base(numClasses, embeddingSize, "weight", weight, new CosineSimilarity(), reducer, embeddingRegularizers, weightRegularizers)
    {
        Guard.Positive(scale);
        Guard.Finite(margin);
        Scale = scale;
        Margin = margin;
    }

    /// <summary>The scale s.</summary>
    public float Scale { get; }

    /// <summary>The margin m.</summary>
    public float Margin { get; }

    /// <summary>The [N, C] cosines between the batch and each class (before the margin and the scale).</summary>
    public Tensor Cosines(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return ClassCosines(Distance.Pairwise(embeddings, Weight));
    }

    /// <summary>Maps the [N, rows] cosines to the rows of <see cref="WeightedClassifierLoss.Weight"/> to [N, C] class cosines (identity by default).</summary>
    protected virtual Tensor ClassCosines(Tensor rowCosines) => rowCosines;

    /// <summary>ψ applied to the target cosines [N] (differentiable).</summary>
    protected abstract Tensor ApplyMargin(Tensor targetCosines);

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        var cos = ClassCosines(WeightMatrix(batch));
        var target = Ops.Gather2D(cos, Iota(batch.Count), batch.Labels);
        var logits = Ops.Mul(ReplaceTargets(cos, batch.Labels, ApplyMargin(target)), Scale);
        yield return ElementTerm("loss", CrossEntropyPerRow(logits, batch.Labels));
    }
}
