using DeepMetric.Imaging;

namespace DeepMetric.Reporting;

/// <summary>One retrieval example for <see cref="ThumbnailGrid"/>: a query image and its nearest neighbours, best first.</summary>
/// <param name="Query">The query image.</param>
/// <param name="Neighbours">Retrieved images in rank order.</param>
/// <param name="Correct">Whether each neighbour has the query's class (same length as <paramref name="Neighbours"/>).</param>
public sealed record ThumbnailRow(RasterImage Query, IReadOnlyList<RasterImage> Neighbours, IReadOnlyList<bool> Correct);
