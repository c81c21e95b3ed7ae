using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The simplified pairwise cross-entropy (SPCE) of Boudiaf et al., "A Unifying Mutual Information View of Metric
/// Learning: Cross-Entropy vs. Pairwise Losses" (ECCV 2020), the pairwise loss that the cross-entropy bounds once its
/// classifier is replaced by class sums of features. With similarities s_ij (z_iᵀz_j in the paper) over n samples:
/// <code>
/// L = −(1/n²) Σ_i Σ_{j: y_j = y_i} s_ij  +  (1/n) Σ_i log Σ_k exp( (1/n) Σ_{j: y_j = k} s_ij )
///       tightness                           contrastive
/// </code>
/// Both sums over j include j = i, as in the paper. The two terms are returned per anchor ("tightness",
/// "contrastive"); the default <see cref="MeanReducer"/> averages them over i, giving the formula above. Equivalently,
/// L is the softmax cross-entropy of the linear classifier θ_k = (1/n) Σ_{j: y_j = k} z_j; <see cref="PceLoss"/> is
/// the full form, with the minimising weight-decayed classifier instead.
/// </summary>
/// <remarks>
/// Defaults: <see cref="DotProductSimilarity"/> on raw features (the paper's z_iᵀz_j). A distance d is used as the
/// similarity −d. With a separate reference set of m samples, j and k run over the reference and 1/n becomes 1/m.
/// A batch of one class (or one sample) gives exactly 0: the contrastive sum then has the tightness term's class
/// alone. The loss uses whole classes, so mined tuples are not accepted.
/// </remarks>
public sealed class SpceLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="distance">Similarity (default <see cref="DotProductSimilarity"/>; a distance d is used as −d).</param>
    /// <param name="reducer">Reducer of the per-anchor terms (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public SpceLoss(Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new DotProductSimilarity(normalizeEmbeddings: false), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
    }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        if (batch.Tuples is not null)
        {
            throw new ArgumentException($"{GetType().Name} sums over whole classes, not mined tuples; pass tuples: null.", "tuples");
        }
        var (classMeans, tightness) = ClassMeanSimilarities(batch, Distance);
        var anchors = Enumerable.Range(0, batch.Count).ToArray();
        yield return new LossTerm("tightness", Ops.Neg(tightness), LossTermKind.Element, anchors);
        yield return new LossTerm("contrastive", Ops.LogSumExp(classMeans, 1), LossTermKind.Element, anchors);
    }

    /// <summary>
    /// A[i, k] = (1/m) Σ_{j in the reference, y_j = k} s_ij [N, C] for the C classes of the reference, and
    /// t_i = (1/m) Σ_{j: y_j = y_i} s_ij [N] (0 when the anchor's class is absent from the reference).
    /// </summary>
    internal static (Tensor ClassMeans, Tensor OwnClass) ClassMeanSimilarities(MetricBatch batch, Distance distance)
    {
        var m = batch.Matrix(distance);
        var s = distance.IsInverted ? m : Ops.Neg(m);
        var refLabels = batch.RefLabels;
        var column = LabelGroups.DenseIndex(refLabels);
        int classes = column.Count, count = refLabels.Length, n = batch.Count;
        float w = 1f / count;
        // One-hot [m, C] scaled by 1/m, so S·Y holds the normalised class sums of similarities.
        var onehot = new float[count * classes];
        for (int j = 0; j < count; j++)
        {
            onehot[(j * classes) + column[refLabels[j]]] = w;
        }
        // Same-class weights [N, m] (self included) for the tightness.
        var same = new float[n * count];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < count; j++)
            {
                if (batch.Labels[i] == refLabels[j])
                {
                    same[(i * count) + j] = w;
                }
            }
        }
        var means = Ops.Matmul(s, Tensor.FromArray(onehot, count, classes));
        var own = Ops.Sum(Ops.Mul(s, Tensor.FromArray(same, n, count)), 1);
        return (means, own);
    }
}
