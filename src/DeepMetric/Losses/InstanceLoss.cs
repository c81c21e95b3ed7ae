using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The instance loss of Zheng, Zheng, Garrett, Yang, Xu &amp; Shen, "Dual-Path Convolutional Image-Text Embeddings
/// with Instance Loss" (ACM TOMM 2020), in PyTorch Metric Learning 2.8.1's form: cross-entropy over the batch's own
/// scaled similarities, ℓᵢ = −log softmax_j(γ · s(xᵢ, xⱼ))[tᵢ], where tᵢ is the rank of yᵢ among the batch's distinct
/// labels (sorted), used as a column index of the N × N matrix.
/// </summary>
/// <remarks>
/// No trainable classifier: the targets index batch columns, exactly as PML does (with labels 0..N−1 each item
/// targets the item at its label's position). With a distance instead of a similarity the logits are −γ·d.
/// Mined tuples and a separate reference set are rejected, as in PML. The log-softmax is max-stabilised, so γ = 64
/// does not overflow. Defaults: γ = 64, <see cref="CosineSimilarity"/>, mean over embeddings.
/// </remarks>
public sealed class InstanceLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="gamma">The scale γ &gt; 0 of the logits.</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public InstanceLoss(float gamma = 64f, Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Positive(gamma);
        Gamma = gamma;
    }

    /// <summary>The scale γ.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        if (batch.Tuples is not null)
        {
            throw new ArgumentException("InstanceLoss does not use mined tuples.", "tuples");
        }
        if (!batch.SameSet)
        {
            throw new ArgumentException("InstanceLoss does not support a separate reference set.", "refEmbeddings");
        }
        int n = batch.Count;
        if (n == 0)
        {
            yield break;
        }
        var distinct = batch.Labels.Distinct().Order().ToArray();
        var targets = batch.Labels.Select(y => Array.BinarySearch(distinct, y)).ToArray();
        var logits = Ops.Mul(LossRows.AsSimilarity(Distance, batch.Matrix(Distance)), Gamma);
        var rows = Enumerable.Range(0, n).ToArray();
        var values = Ops.Sub(Ops.LogSumExp(logits, 1), logits[rows, targets]);
        yield return new LossTerm("loss", values, LossTermKind.Element, rows);
    }
}
