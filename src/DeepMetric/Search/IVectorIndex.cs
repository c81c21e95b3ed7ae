namespace DeepMetric.Search;

/// <summary>
/// A searchable collection of fixed-dimension float32 vectors with string ids and integer labels.
/// <see cref="FlatIndex"/> (exact) and <see cref="HnswIndex"/> (approximate) implement it, so callers switch with one option.
/// Instances are not safe for concurrent use from several threads.
/// </summary>
public interface IVectorIndex
{
    /// <summary>Dimension of every vector.</summary>
    int Dimension { get; }

    /// <summary>How vectors are compared.</summary>
    VectorMetric Metric { get; }

    /// <summary>Number of live (not removed) vectors.</summary>
    int Count { get; }

    /// <summary>
    /// Adds <c>ids.Count</c> vectors stored row-major in <paramref name="vectors"/> (<c>ids.Count × Dimension</c> values).
    /// <paramref name="labels"/> is empty (every label −1) or holds one label per id. Ids must be new and distinct.
    /// </summary>
    void Add(IReadOnlyList<string> ids, ReadOnlySpan<float> vectors, ReadOnlySpan<int> labels = default);

    /// <summary>Removes the vector with this id; returns false when there is none.</summary>
    bool Remove(string id);

    /// <summary>True when a live vector has this id.</summary>
    bool Contains(string id);

    /// <summary>The <paramref name="k"/> nearest live vectors to <paramref name="query"/>, closest first (fewer when the index holds fewer).</summary>
    VectorHit[] Search(ReadOnlySpan<float> query, int k);

    /// <summary>Batch search: <paramref name="queries"/> holds <c>queryCount × Dimension</c> values row-major; one result array per query.</summary>
    VectorHit[][] Search(ReadOnlySpan<float> queries, int queryCount, int k);

    /// <summary>Every live vector whose distance to <paramref name="query"/> is at most <paramref name="radius"/>, closest first.</summary>
    VectorHit[] RangeSearch(ReadOnlySpan<float> query, float radius);

    /// <summary>Writes the index to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    void Save(string path);
}
