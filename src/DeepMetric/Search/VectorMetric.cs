namespace DeepMetric.Search;

/// <summary>
/// How a vector index compares vectors. Every index reports a <em>distance</em> (smaller is closer), so the
/// similarity metrics are turned into distances.
/// </summary>
public enum VectorMetric
{
    /// <summary>Euclidean distance <c>‖q − x‖₂</c> (not squared).</summary>
    L2 = 0,

    /// <summary>Cosine distance <c>1 − cos(q, x)</c>, in [0, 2]. Vectors are L2-normalised when added; a zero vector has distance 1 to everything.</summary>
    Cosine = 1,

    /// <summary>Negative inner product <c>−q·x</c> (maximum inner product search); may be negative.</summary>
    InnerProduct = 2,
}
