namespace DeepMetric.Search;

/// <summary>Creates and loads indexes behind <see cref="IVectorIndex"/>, so callers pick exact or approximate search with one option.</summary>
public static class VectorIndexes
{
    /// <summary>An empty index of the given kind (<paramref name="hnswOptions"/> is used only for <see cref="VectorIndexKind.Hnsw"/>).</summary>
    public static IVectorIndex Create(VectorIndexKind kind, int dimension, VectorMetric metric, HnswOptions? hnswOptions = null) => kind switch
    {
        VectorIndexKind.Flat => new FlatIndex(dimension, metric),
        VectorIndexKind.Hnsw => new HnswIndex(dimension, metric, hnswOptions),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), $"Unknown index kind {kind}."),
    };

    /// <summary>An index of the given kind holding every row of <paramref name="store"/>, searched with the store's metric.</summary>
    /// <param name="kind">Exact or HNSW.</param>
    /// <param name="store">The rows to add, in order.</param>
    /// <param name="hnswOptions">HNSW parameters (HNSW only).</param>
    /// <param name="progress">Receives the number of rows added so far, about a hundred times over the build (a 200 000-row HNSW build takes tens of seconds).</param>
    public static IVectorIndex Build(VectorIndexKind kind, EmbeddingStore store, HnswOptions? hnswOptions = null, IProgress<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var index = Create(kind, store.Dimension, store.Metadata.Metric, hnswOptions);
        var ids = store.GetIds();
        if (progress is null)
        {
            index.Add(ids, store.Vectors, store.Labels);
            return index;
        }
        // Rows are inserted one after another either way, so adding in chunks builds the same index.
        int chunk = Math.Max(1024, (store.Count + 99) / 100);
        for (int start = 0; start < store.Count; start += chunk)
        {
            int n = Math.Min(chunk, store.Count - start);
            index.Add(new ArraySegment<string>(ids, start, n), store.GetVectors(start, n), store.Labels.Slice(start, n));
            progress.Report(start + n);
        }
        return index;
    }

    /// <summary>Loads a file written by <see cref="IVectorIndex.Save"/>: the kind is recognised from its magic bytes.</summary>
    /// <exception cref="InvalidDataException">The file is neither a saved HNSW index nor an embedding store, or is corrupt.</exception>
    public static IVectorIndex Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Span<byte> magic = stackalloc byte[8];
        using (var stream = File.OpenRead(path))
        {
            SearchIO.Check(stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) == magic.Length, path, "file is truncated (shorter than its magic bytes).");
        }
        if (magic.SequenceEqual("DMHNSWIX"u8))
        {
            return HnswIndex.Load(path);
        }
        SearchIO.Check(magic.SequenceEqual("DMEMBSTR"u8), path, "neither an HNSW index nor an embedding store (unknown magic bytes).");
        return FlatIndex.Load(path);
    }
}
