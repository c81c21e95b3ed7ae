using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Wrappers;

namespace DeepMetric.Losses;

/// <summary>
/// The contract of every metric-learning loss: a scalar, differentiable loss of a batch of embeddings with their
/// labels, optionally restricted to mined tuples and compared against a separate reference set
/// (pytorch-metric-learning's <c>loss(embeddings, labels, indices_tuple, ref_emb, ref_labels)</c>).
/// </summary>
/// <remarks>
/// Losses that compare embeddings through a distance and reduce per-tuple values derive from
/// <see cref="PairwiseMetricLoss"/>; wrappers that combine or feed other losses (<see cref="MultipleLosses"/>,
/// <see cref="CrossBatchMemory"/>) implement only this contract. A loss registers its trainable parameters
/// (proxies, centres, …) as module parameters, so optimizers train them and checkpoints save them.
/// </remarks>
public abstract class MetricLoss : Module
{
    /// <summary>Creates the loss.</summary>
    protected MetricLoss()
    {
    }

    /// <summary>The scalar, differentiable loss of a batch.</summary>
    /// <param name="embeddings">Batch embeddings [N, D].</param>
    /// <param name="labels">Class label of each embedding.</param>
    /// <param name="tuples">Mined tuples (pairs or triplets); null uses all valid tuples.</param>
    /// <param name="refEmbeddings">Optional separate reference set [M, D] (e.g. a memory bank).</param>
    /// <param name="refLabels">Labels of the reference set.</param>
    public abstract Tensor Compute(Tensor embeddings, int[] labels, MinedTuples? tuples = null, Tensor? refEmbeddings = null, int[]? refLabels = null);

    /// <summary>
    /// The named terms whose reduced values sum to <see cref="Compute"/>; by default the whole loss as one
    /// already-reduced term.
    /// </summary>
    /// <param name="embeddings">Batch embeddings [N, D].</param>
    /// <param name="labels">Class label of each embedding.</param>
    /// <param name="tuples">Mined tuples (pairs or triplets); null uses all valid tuples.</param>
    /// <param name="refEmbeddings">Optional separate reference set [M, D].</param>
    /// <param name="refLabels">Labels of the reference set.</param>
    public virtual IReadOnlyList<LossTerm> ComputeTerms(Tensor embeddings, int[] labels, MinedTuples? tuples = null, Tensor? refEmbeddings = null, int[]? refLabels = null) =>
        [new LossTerm("loss", Compute(embeddings, labels, tuples, refEmbeddings, refLabels), LossTermKind.AlreadyReduced)];

    /// <summary>Losses need labels, so they are called through <see cref="Compute"/>; <see cref="Module.Forward"/> is not supported.</summary>
    /// <param name="x">Unused.</param>
    public sealed override Tensor Forward(Tensor x) =>
        throw new NotSupportedException($"{GetType().Name} is a loss: call Compute(embeddings, labels, ...).");
}
