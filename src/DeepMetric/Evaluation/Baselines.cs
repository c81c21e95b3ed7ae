using DeepMetric.Data;
using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// Reference points to report beside a trained model: retrieval on the raw pixels and on an untrained network.
/// On Fashion-MNIST's unseen classes both are strong (MAP@R ≈ 0.4), so a trained result means little without them.
/// </summary>
public static class Baselines
{
    /// <summary>The flattened pixels of every image, [N, C·H·W], as the "embeddings" of the raw-pixel baseline.</summary>
    /// <param name="data">The images.</param>
    public static Tensor RawPixels(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var pixels = GC.AllocateUninitializedArray<float>(data.Pixels.Length);
        data.Pixels.CopyTo(pixels);
        return Tensor.Wrap(pixels, data.Count, data.ImageSize);
    }

    /// <summary>Leave-one-out retrieval metrics of the flattened pixels (see <see cref="RetrievalMetrics.Compute(Tensor, ReadOnlySpan{int}, IReadOnlyList{int}?, KnnMetric)"/>).</summary>
    /// <param name="data">The images.</param>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <param name="metric">Distance used for ranking.</param>
    public static Metrics RawPixelMetrics(ImageDataset data, IReadOnlyList<int>? ks = null, KnnMetric metric = KnnMetric.Euclidean)
    {
        ArgumentNullException.ThrowIfNull(data);
        return RetrievalMetrics.Compute(RawPixels(data), data.Labels, ks, metric);
    }
}
