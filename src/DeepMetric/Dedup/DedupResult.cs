using DeepMetric.Search;

namespace DeepMetric.Dedup;

/// <summary>What a <see cref="Deduplicator"/> found.</summary>
/// <param name="Groups">Groups of two or more items, ordered by their representative's input position. Items in no group are unique.</param>
/// <param name="ItemCount">Items examined.</param>
/// <param name="Threshold">The distance threshold used.</param>
/// <param name="Metric">The distance used.</param>
/// <param name="IndexKind">Exact (flat) or approximate (HNSW) pair search.</param>
/// <param name="ExactCopies">Items whose vector is byte-for-byte identical to an earlier item's (collapsed before the search).</param>
/// <param name="NearPairs">Distinct pairs of non-identical vectors found within the threshold (pairs among exact copies are not counted).</param>
public sealed record DedupResult(IReadOnlyList<DuplicateGroup> Groups, int ItemCount, float Threshold, VectorMetric Metric, VectorIndexKind IndexKind,
    int ExactCopies, long NearPairs)
{
    /// <summary>Items that keeping one representative per group would remove: Σ (group size − 1).</summary>
    public int RedundantItems
    {
        get
        {
            int total = 0;
            foreach (var g in Groups)
            {
                total += g.Size - 1;
            }
            return total;
        }
    }
}
