namespace DeepMetric.Search;

/// <summary>
/// What an <see cref="EmbeddingStore"/> says about its vectors: the model that produced them, the distance they are
/// meant to be compared with, how they were normalised, and any other string properties.
/// </summary>
/// <param name="Model">Name or path of the model that produced the embeddings (free text; may be empty).</param>
/// <param name="Metric">The distance the embeddings are meant to be searched with.</param>
/// <param name="Normalization">How the vectors were normalised, e.g. <c>"none"</c> or <c>"l2"</c>.</param>
public sealed record EmbeddingMetadata(string Model, VectorMetric Metric, string Normalization)
{
    /// <summary>Further properties (keys must not be <c>model</c>, <c>metric</c> or <c>normalization</c>).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
