namespace DeepMetric.Search;

/// <summary>Argument checks shared by the indexes.</summary>
internal static class IndexInput
{
    public static void Validate(IReadOnlyList<string> ids, ReadOnlySpan<float> vectors, ReadOnlySpan<int> labels, int dimension, Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int n = ids.Count;
        if (vectors.Length != (long)n * dimension)
        {
            throw new ArgumentException($"Expected {n} × {dimension} = {(long)n * dimension} values for {n} ids, got {vectors.Length}.", nameof(vectors));
        }
        if (!labels.IsEmpty && labels.Length != n)
        {
            throw new ArgumentException($"Expected no labels or {n} labels (one per id), got {labels.Length}.", nameof(labels));
        }
        VectorKernels.CheckFinite(vectors, nameof(vectors));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            string id = ids[i] ?? throw new ArgumentException($"ids[{i}] is null.", nameof(ids));
            if (!seen.Add(id) || exists(id))
            {
                throw new ArgumentException($"Id '{id}' is already in the index (or repeated in this batch); ids must be unique.", nameof(ids));
            }
        }
    }

    public static void CheckQueries(ReadOnlySpan<float> queries, int queryCount, int dimension, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryCount);
        if (queries.Length != (long)queryCount * dimension)
        {
            throw new ArgumentException($"Expected {queryCount} × {dimension} = {(long)queryCount * dimension} query values, got {queries.Length}.", paramName);
        }
        VectorKernels.CheckFinite(queries, paramName);
    }
}
