namespace DeepMetric.Reporting;

/// <summary>2-D maps of (a seeded sample of) a run's test embeddings.</summary>
/// <param name="Points">Points drawn.</param>
/// <param name="Total">Test points in all.</param>
/// <param name="Labels">Label of each drawn point.</param>
/// <param name="PcaXy">PCA projection, interleaved x, y.</param>
/// <param name="PcaVarianceRatio">Share of the variance of each principal component.</param>
/// <param name="TSneXy">t-SNE map, interleaved x, y; null when there are too few or too many points.</param>
/// <param name="Perplexity">Perplexity the t-SNE map used.</param>
internal sealed record EmbeddingMaps(int Points, int Total, int[] Labels, float[] PcaXy, IReadOnlyList<double> PcaVarianceRatio,
    float[]? TSneXy, double Perplexity);
