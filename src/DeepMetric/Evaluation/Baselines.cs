using DeepMetric.Data;
using DeepMetric.Tensors;

namespace DeepMetric.Evaluation;

/// <summary>
/// Reference points to report beside a trained model: retrieval on the raw pixels and on an untrained network.
/// On Fashion-MNIST's unseen classes both are strong (MAP@R ≈ 0.4), so a trained result means little without them.
/// </summary>
public static class Baselines
{
    /// <summary>
    /// The flattened items, [N, prod(<see cref="IDataset.ItemShape"/>)] (for images the pixels after the dataset's
    /// evaluation transform, C·H·W per row), as the "embeddings" of the raw-pixel baseline.
    /// </summary>
    /// <param name="data">The items.</param>
    /// <param name="batchSize">Items read per batch (bounds the memory of a dataset that decodes on demand).</param>
    public static Tensor RawPixels(IDataset data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        long size = 1;
        foreach (int d in data.ItemShape)
        {
            size *= d;
        }
        int n = data.Count;
        var values = GC.AllocateUninitializedArray<float>(checked((int)(n * size)));
        var indices = new int[Math.Min(batchSize, n)];
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            for (int i = 0; i < count; i++)
            {
                indices[i] = start + i;
            }
            data.Batch(indices.AsSpan(0, count), BatchRequest.Evaluation).ReadOnlySpan.CopyTo(values.AsSpan((int)(start * size)));
        }
        return Tensor.Wrap(values, n, (int)size);
    }

    /// <summary>Leave-one-out retrieval metrics of the flattened pixels (see <see cref="RetrievalMetrics.Compute(Tensor, ReadOnlySpan{int}, IReadOnlyList{int}?, KnnMetric)"/>).</summary>
    /// <param name="data">The items.</param>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <param name="metric">Distance used for ranking.</param>
    public static Metrics RawPixelMetrics(IDataset data, IReadOnlyList<int>? ks = null, KnnMetric metric = KnnMetric.Euclidean)
    {
        ArgumentNullException.ThrowIfNull(data);
        return RetrievalMetrics.Compute(RawPixels(data), data.Labels, ks, metric);
    }
}
