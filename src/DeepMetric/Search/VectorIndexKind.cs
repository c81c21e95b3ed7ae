namespace DeepMetric.Search;

/// <summary>Which <see cref="IVectorIndex"/> implementation <see cref="VectorIndexes.Create"/> builds.</summary>
public enum VectorIndexKind
{
    /// <summary>Exact search: <see cref="FlatIndex"/>.</summary>
    Flat = 0,

    /// <summary>Approximate graph search: <see cref="HnswIndex"/>.</summary>
    Hnsw = 1,
}
