namespace DeepMetric.Data.Benchmarks;

/// <summary>
/// A deep-metric-learning benchmark in its standard protocol: training images, and test images split into queries
/// and a reference (gallery) set. For CUB-200-2011, Cars196 and Stanford Online Products every test image is both
/// query and reference (leave-one-out retrieval, <see cref="QueryIsReference"/>); In-Shop Clothes has separate query
/// and gallery images. Training and test classes are disjoint in all four.
/// </summary>
/// <param name="Name">Benchmark name ("CUB-200-2011").</param>
/// <param name="Train">Training images.</param>
/// <param name="Query">Query images.</param>
/// <param name="Reference">Reference images; the same object as <paramref name="Query"/> for leave-one-out protocols.
/// Query and reference labels share one numbering.</param>
/// <param name="Protocol">One line saying how the split was made.</param>
public sealed record BenchmarkSplit(string Name, BenchmarkImageSet Train, BenchmarkImageSet Query, BenchmarkImageSet Reference, string Protocol)
{
    /// <summary>True when queries are retrieved among the other query images (leave-one-out).</summary>
    public bool QueryIsReference => ReferenceEquals(Query, Reference);
}
