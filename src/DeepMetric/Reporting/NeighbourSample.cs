namespace DeepMetric.Reporting;

/// <summary>Seeded test queries with their nearest test images, as thumbnails.</summary>
/// <param name="Queries">Indices of the queries in the unseen-classes test set.</param>
/// <param name="Rows">One row per query: its thumbnail, its neighbours' and whether each is of the query's class.</param>
/// <param name="Correct">Neighbours of the query's class, over all queries.</param>
/// <param name="Total">Neighbours shown, over all queries.</param>
internal sealed record NeighbourSample(int[] Queries, IReadOnlyList<ThumbnailRow> Rows, int Correct, int Total);
