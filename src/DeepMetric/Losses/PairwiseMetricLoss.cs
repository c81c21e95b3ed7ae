using DeepMetric.Distances;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// Base of the losses built from a <see cref="DeepMetric.Distances.Distance"/> + a <see cref="DeepMetric.Reducers.Reducer"/>
/// (+ optional embedding regularizers), as pytorch-metric-learning's <c>BaseMetricLossFunction</c>.
/// </summary>
/// <remarks>
/// Subclasses implement <see cref="ComputeTerms(MetricBatch)"/>, returning named unreduced terms; the reducer turns
/// each into a scalar and the scalars are summed. Batches with nothing to learn give 0 with a zero gradient.
/// </remarks>
public abstract class PairwiseMetricLoss : MetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="distance">How embeddings are compared.</param>
    /// <param name="reducer">How unreduced values become a scalar.</param>
    /// <param name="embeddingRegularizers">Regularizers added to the loss, computed on the batch embeddings.</param>
    protected PairwiseMetricLoss(Distance distance, Reducer reducer, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
    {
        ArgumentNullException.ThrowIfNull(distance);
        ArgumentNullException.ThrowIfNull(reducer);
        Distance = distance;
        Reducer = reducer;
        EmbeddingRegularizers = embeddingRegularizers?.ToArray() ?? [];
    }

    /// <summary>The distance the loss compares embeddings with.</summary>
    public Distance Distance { get; }

    /// <summary>The reducer applied to each term.</summary>
    public Reducer Reducer { get; }

    /// <summary>Regularizers on the embeddings.</summary>
    public IReadOnlyList<EmbeddingRegularizer> EmbeddingRegularizers { get; }

    /// <inheritdoc/>
    public override Tensor Compute(Tensor embeddings, int[] labels, MinedTuples? tuples = null, Tensor? refEmbeddings = null, int[]? refLabels = null)
    {
        var batch = new MetricBatch(embeddings, labels, tuples, refEmbeddings, refLabels);
        Tensor? total = null;
        foreach (var term in ComputeTerms(batch))
        {
            var r = Reducer.Reduce(term, labels);
            total = total is null ? r : Ops.Add(total, r);
        }
        foreach (var reg in EmbeddingRegularizers)
        {
            var r = reg.Compute(embeddings, labels);
            total = total is null ? r : Ops.Add(total, r);
        }
        return total ?? batch.Zero();
    }

    /// <summary>The named, unreduced terms of the loss for a batch (what <see cref="Compute"/> reduces).</summary>
    /// <param name="embeddings">Batch embeddings [N, D].</param>
    /// <param name="labels">Class label of each embedding.</param>
    /// <param name="tuples">Mined tuples (pairs or triplets); null uses all valid tuples.</param>
    /// <param name="refEmbeddings">Optional separate reference set [M, D].</param>
    /// <param name="refLabels">Labels of the reference set.</param>
    public override IReadOnlyList<LossTerm> ComputeTerms(Tensor embeddings, int[] labels, MinedTuples? tuples = null, Tensor? refEmbeddings = null, int[]? refLabels = null) =>
        ComputeTerms(new MetricBatch(embeddings, labels, tuples, refEmbeddings, refLabels)).ToArray();

    /// <summary>Computes the unreduced terms of the loss on a validated batch.</summary>
    /// <param name="batch">The validated batch.</param>
    protected abstract IEnumerable<LossTerm> ComputeTerms(MetricBatch batch);
}
