using System.IO.Hashing;
using System.Runtime.InteropServices;
using DeepMetric.Calibration;
using DeepMetric.Search;

namespace DeepMetric.Dedup;

/// <summary>
/// Near-duplicate detection: every pair of items within a distance threshold, then groups = connected components of
/// those pairs (union–find), each with a representative. Memory stays linear in the number of items (no all-pairs
/// matrix), so 100 000 items and more work.
/// </summary>
/// <remarks>
/// <para>Steps: (1) exact copies — rows whose float32 bytes are identical (XXH3-64 hash, confirmed byte by byte) — are
/// merged first and only one row per distinct vector is searched; this matters for HNSW, whose graph may not reach every
/// one of many identical vectors (see <see cref="HnswIndex"/>), and saves work for the flat search. (2) pairs within the
/// threshold among the distinct vectors: with <see cref="VectorIndexKind.Flat"/> an exact blocked GEMM self-join
/// (each pair computed once, like <see cref="FlatIndex.RangeSearch"/> but over the upper triangle); with
/// <see cref="VectorIndexKind.Hnsw"/> one <see cref="HnswIndex.RangeSearch"/> per distinct vector (approximate: pairs the
/// graph search misses are missed, which can split a group). (3) union–find over all pairs.</para>
/// <para>The representative of a group is its member that comes first in the input (lowest row), a stable, cheap rule that
/// lets a caller decide what to keep by ordering the input (e.g. oldest or highest quality first). Vectors equal in value
/// but not in bytes (−0 and +0, or cosine vectors differing by scale) are not collapsed in step 1 but are found by step 2
/// at distance 0.</para>
/// </remarks>
public sealed class Deduplicator
{
    private readonly DedupOptions _options;

    /// <summary>Creates a deduplicator.</summary>
    /// <exception cref="ArgumentException">The threshold is NaN or infinite, or the index kind is unknown.</exception>
    public Deduplicator(DedupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!float.IsFinite(options.Threshold))
        {
            throw new ArgumentException($"The threshold must be finite, got {options.Threshold}.", nameof(options));
        }
        if (!Enum.IsDefined(options.IndexKind))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Unknown index kind {options.IndexKind}.");
        }
        _options = options;
    }

    /// <summary>The settings.</summary>
    public DedupOptions Options => _options;

    /// <summary>Finds the near-duplicate groups among the rows of <paramref name="store"/>, with the store's metric.</summary>
    public DedupResult Run(EmbeddingStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Run(store.GetIds(), store.Vectors, store.Dimension, store.Metadata.Metric);
    }

    /// <summary>Finds the near-duplicate groups among <c>ids.Count</c> vectors stored row-major in <paramref name="vectors"/>.</summary>
    /// <exception cref="ArgumentException">Shapes disagree, an id is null or repeated, or a value is not finite.</exception>
    public DedupResult Run(IReadOnlyList<string> ids, ReadOnlySpan<float> vectors, int dimension, VectorMetric metric)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), $"Unknown metric {metric}.");
        }
        int n = ids.Count;
        int d = dimension;
        var seen = new HashSet<string>(n, StringComparer.Ordinal);
        if (vectors.Length != (long)n * d)
        {
            throw new ArgumentException($"Expected {n} × {d} = {(long)n * d} values for {n} ids, got {vectors.Length}.", nameof(vectors));
        }
        for (int i = 0; i < n; i++)
        {
            if (!seen.Add(ids[i] ?? throw new ArgumentException($"ids[{i}] is null.", nameof(ids))))
            {
                throw new ArgumentException($"Id '{ids[i]}' is repeated; ids must be unique.", nameof(ids));
            }
        }
        VectorKernels.CheckFinite(vectors, nameof(vectors));

        var sets = new UnionFind(n);
        int[] distinct = CollapseExactCopies(vectors, n, d, sets, out int exactCopies);
        int u = distinct.Length;
        long nearPairs = 0;
        if (u > 1)
        {
            nearPairs = _options.IndexKind == VectorIndexKind.Flat
                ? FlatPairs(vectors, d, metric, distinct, sets)
                : HnswPairs(ids, vectors, d, metric, distinct, sets);
        }
        return new DedupResult(Groups(ids, vectors, d, metric, sets), n, _options.Threshold, metric, _options.IndexKind, exactCopies, nearPairs);
    }

    /// <summary>Merges rows with identical bytes; returns the first row of each distinct vector, ascending.</summary>
    private static int[] CollapseExactCopies(ReadOnlySpan<float> vectors, int n, int d, UnionFind sets, out int copies)
    {
        var bytes = MemoryMarshal.AsBytes(vectors);
        int rowBytes = d * sizeof(float);
        // Hash → first distinct row with that hash; next[] chains distinct rows sharing a hash (a collision).
        var head = new Dictionary<ulong, int>(n);
        var next = new int[n];
        var distinct = new List<int>(n);
        copies = 0;
        for (int i = 0; i < n; i++)
        {
            var row = bytes.Slice(i * rowBytes, rowBytes);
            ulong h = XxHash3.HashToUInt64(row);
            next[i] = -1;
            if (head.TryGetValue(h, out int r))
            {
                int last = -1;
                for (; r >= 0; last = r, r = next[r])
                {
                    if (bytes.Slice(r * rowBytes, rowBytes).SequenceEqual(row))
                    {
                        break;
                    }
                }
                if (r >= 0)
                {
                    sets.Union(r, i);
                    copies++;
                    continue;
                }
                next[last] = i;
            }
            else
            {
                head.Add(h, i);
            }
            distinct.Add(i);
        }
        return [.. distinct];
    }

    private long FlatPairs(ReadOnlySpan<float> vectors, int d, VectorMetric metric, int[] distinct, UnionFind sets)
    {
        int u = distinct.Length;
        var data = GC.AllocateUninitializedArray<float>(checked(u * d));
        for (int i = 0; i < u; i++)
        {
            var row = data.AsSpan(i * d, d);
            vectors.Slice(distinct[i] * d, d).CopyTo(row);
            if (metric == VectorMetric.Cosine)
            {
                VectorKernels.Normalize(row);
            }
        }
        long pairs = 0;
        ExactSelfJoin.Run(data, u, d, metric, _options.Threshold, (a, b, _) =>
        {
            sets.Union(distinct[a], distinct[b]);
            pairs++;
        });
        return pairs;
    }

    private long HnswPairs(IReadOnlyList<string> ids, ReadOnlySpan<float> vectors, int d, VectorMetric metric, int[] distinct, UnionFind sets)
    {
        int u = distinct.Length;
        var data = GC.AllocateUninitializedArray<float>(checked(u * d));
        var keys = new string[u];
        var position = new Dictionary<string, int>(u, StringComparer.Ordinal);
        for (int i = 0; i < u; i++)
        {
            vectors.Slice(distinct[i] * d, d).CopyTo(data.AsSpan(i * d, d));
            keys[i] = ids[distinct[i]];
            position.Add(keys[i], i);
        }
        var index = new HnswIndex(d, metric, _options.Hnsw);
        index.Add(keys, data);
        // The graph search is not symmetric: a pair may be found from one side only, so pairs are deduplicated.
        var found = new HashSet<long>();
        for (int i = 0; i < u; i++)
        {
            foreach (var hit in index.RangeSearch(data.AsSpan(i * d, d), _options.Threshold))
            {
                int j = position[hit.Id];
                if (j != i)
                {
                    found.Add(((long)Math.Min(i, j) << 32) | (uint)Math.Max(i, j));
                    sets.Union(distinct[i], distinct[j]);
                }
            }
        }
        return found.Count;
    }

    private static DuplicateGroup[] Groups(IReadOnlyList<string> ids, ReadOnlySpan<float> vectors, int d, VectorMetric metric, UnionFind sets)
    {
        int n = ids.Count;
        var size = new int[n];
        for (int i = 0; i < n; i++)
        {
            size[sets.Find(i)]++;
        }
        // Rows are visited in order, so each group's rows come out ascending and groups by their first row.
        var groupOf = new int[n];
        Array.Fill(groupOf, -1);
        var rows = new List<int[]>();
        var fill = new List<int>();
        for (int i = 0; i < n; i++)
        {
            int root = sets.Find(i);
            if (size[root] < 2)
            {
                continue;
            }
            if (groupOf[root] < 0)
            {
                groupOf[root] = rows.Count;
                rows.Add(new int[size[root]]);
                fill.Add(0);
            }
            int g = groupOf[root];
            rows[g][fill[g]++] = i;
        }
        var groups = new DuplicateGroup[rows.Count];
        for (int g = 0; g < groups.Length; g++)
        {
            var members = rows[g];
            var names = new string[members.Length];
            var dist = new float[members.Length];
            var rep = vectors.Slice(members[0] * d, d);
            for (int m = 0; m < members.Length; m++)
            {
                names[m] = ids[members[m]];
                dist[m] = m == 0 ? 0f : Matcher.Distance(metric, rep, vectors.Slice(members[m] * d, d));
            }
            groups[g] = new DuplicateGroup(members, names, dist);
        }
        return groups;
    }
}
