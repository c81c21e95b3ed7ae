namespace DeepMetric.Evaluation;

/// <summary>
/// The <see cref="K"/> nearest references of each query, closest first, row-major [queries × K].
/// </summary>
/// <param name="Indices">Reference indices, row-major.</param>
/// <param name="Distances">Euclidean distance, or 1 − cosine similarity, row-major.</param>
/// <param name="K">Neighbours per query.</param>
public sealed record KnnResult(int[] Indices, float[] Distances, int K)
{
    /// <summary>Number of queries.</summary>
    public int QueryCount => K == 0 ? 0 : Indices.Length / K;

    /// <summary>The neighbour indices of query <paramref name="query"/>.</summary>
    public ReadOnlySpan<int> Neighbours(int query) => Indices.AsSpan(query * K, K);
}
