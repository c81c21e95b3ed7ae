using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The neighbourhood components analysis loss of Goldberger, Roweis, Hinton &amp; Salakhutdinov, "Neighbourhood
/// Components Analysis" (NeurIPS 2004), log form: each sample i picks a neighbour j ≠ i with
/// p_ij = exp(−c·d_ij) / Σ_{k≠i} exp(−c·d_ik), d the squared Euclidean distance and c the softmax scale, and
/// Lᵢ = −log Σ_{j∈C(i)} p_ij, the log-probability of choosing a neighbour of its own class.
/// </summary>
/// <remarks>
/// Defaults (PyTorch Metric Learning's): squared Euclidean distance on L2-normalised embeddings, c = 1 (the paper's
/// ‖Ax − Ay‖² on raw embeddings is <c>distance: new LpDistance(normalizeEmbeddings: false, power: 2f)</c>),
/// <see cref="MeanReducer"/> over anchors. Anchors without a same-class neighbour are excluded. With a similarity
/// the logits are c·s. Computed as a difference of masked log-sum-exps (no overflow, no log 0). With a separate
/// reference set the neighbours are chosen from it; mined tuples restrict C(i) and the candidates.
/// </remarks>
public sealed class NcaLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="softmaxScale">c, the factor on the logits (&gt; 0); 1/temperature.</param>
    /// <param name="distance">Distance (default squared Euclidean on normalised embeddings).</param>
    /// <param name="reducer">Reducer over anchors (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public NcaLoss(float softmaxScale = 1f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(power: 2f), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Positive(softmaxScale);
        SoftmaxScale = softmaxScale;
    }

    /// <summary>The softmax scale c.</summary>
    public float SoftmaxScale { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var (pos, neg) = batch.Masks();
        var logits = Ops.Mul(LossRows.AsSimilarity(Distance, batch.Matrix(Distance)), SoftmaxScale);
        var (values, anchors) = LossRows.NeighbourhoodLoss(logits, pos, neg);
        yield return new LossTerm("loss", values, LossTermKind.Element, anchors);
    }
}
