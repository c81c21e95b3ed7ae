using DeepMetric.Tensors.Random;

namespace DeepMetric.Search;

/// <summary>
/// Approximate nearest-neighbour search on a Hierarchical Navigable Small World graph: Y. A. Malkov and D. A. Yashunin,
/// "Efficient and robust approximate nearest neighbor search using Hierarchical Navigable Small World graphs",
/// IEEE TPAMI 42(4), 2018. Insertion follows Algorithm 1 (greedy descent, then SEARCH-LAYER with efConstruction and
/// neighbour selection by the heuristic of Algorithm 4 on each layer, links shrunk with the same heuristic when a node
/// exceeds Mmax = M, or Mmax0 = 2·M on layer 0); search follows Algorithm 5 with ef = max(efSearch, k).
/// </summary>
/// <remarks>
/// <para>Levels are drawn as ⌊−ln(u)·mL⌋ with mL = 1/ln(M) from a seeded <see cref="Prng"/>, so the same options and the
/// same insertion order build the same graph (on every machine with the same SIMD width: distances are summed in float
/// across vector lanes, so a CPU with another vector width may round a near-tie differently). Vectors live in one contiguous float array, distances use
/// SIMD kernels, and the visited set is a generation-stamped int array, so a query allocates only its result.</para>
/// <para><see cref="Remove"/> marks a node deleted: it is skipped in results but still used to navigate, so recall does not
/// collapse; its memory is kept until the index is rebuilt. Algorithm 4's <c>extendCandidates</c> option is not
/// implemented (the paper recommends it only for extremely clustered data).</para>
/// <para>Known limit: when hundreds of vectors are exact copies of one another, link pruning can leave some copies
/// without incoming links, so a search finds only part of the copies (an HNSW property, not specific to this code).
/// Collapse exact copies before indexing, or use <see cref="FlatIndex"/>, when every copy must be found.</para>
/// <para>The graph and its algorithms are in <see cref="HnswGraph"/>, the file format in <see cref="HnswFile"/>; this type
/// maps ids and labels to graph nodes and validates what callers pass.</para>
/// <para>Not safe for concurrent use: queries share scratch buffers.</para>
/// </remarks>
public sealed class HnswIndex : IVectorIndex
{
    /// <summary>The current file format version.</summary>
    public const int FormatVersion = HnswFile.Version;

    private readonly HnswGraph _graph;
    private readonly Dictionary<string, int> _nodeOf = new(StringComparer.Ordinal);
    private readonly List<string> _ids = [];
    private readonly List<int> _labels = [];

    /// <summary>Creates an empty index.</summary>
    public HnswIndex(int dimension, VectorMetric metric, HnswOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), $"Unknown metric {metric}.");
        }
        var validated = options ?? new HnswOptions();
        validated.Validate();
        _graph = new HnswGraph(dimension, metric, validated);
        EfSearch = validated.EfSearch;
    }

    /// <inheritdoc/>
    public int Dimension => _graph.Dimension;

    /// <inheritdoc/>
    public VectorMetric Metric => _graph.Metric;

    /// <inheritdoc/>
    public int Count => _nodeOf.Count;

    /// <summary>The build options.</summary>
    public HnswOptions Options => _graph.Options;

    /// <summary>Nodes in the graph, including those marked deleted.</summary>
    public int NodeCount => _graph.NodeCount;

    /// <summary>Search-time candidate list size (changeable at any time; at least k is used).</summary>
    public int EfSearch
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    }

    internal HnswGraph Graph => _graph;

    /// <summary>The id of every node, deleted ones included, in node order.</summary>
    internal IReadOnlyList<string> NodeIds => _ids;

    /// <summary>The label of every node (−1: none), in node order.</summary>
    internal IReadOnlyList<int> NodeLabels => _labels;

    /// <inheritdoc/>
    public void Add(IReadOnlyList<string> ids, ReadOnlySpan<float> vectors, ReadOnlySpan<int> labels = default)
    {
        IndexInput.Validate(ids, vectors, labels, Dimension, Contains);
        int n = ids.Count;
        int d = Dimension;
        _graph.Reserve(_graph.NodeCount + n);
        for (int i = 0; i < n; i++)
        {
            int node = _graph.Add(vectors.Slice(i * d, d));
            _ids.Add(ids[i]);
            _labels.Add(labels.IsEmpty ? -1 : labels[i]);
            _nodeOf.Add(ids[i], node);
        }
    }

    /// <inheritdoc/>
    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!_nodeOf.Remove(id, out int node))
        {
            return false;
        }
        _graph.MarkDeleted(node);
        return true;
    }

    /// <inheritdoc/>
    public bool Contains(string id) => _nodeOf.ContainsKey(id ?? throw new ArgumentNullException(nameof(id)));

    /// <inheritdoc/>
    public VectorHit[] Search(ReadOnlySpan<float> query, int k)
    {
        IndexInput.CheckQueries(query, 1, Dimension, nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return SearchOne(query, k, Math.Max(EfSearch, k));
    }

    /// <inheritdoc/>
    public VectorHit[][] Search(ReadOnlySpan<float> queries, int queryCount, int k)
    {
        IndexInput.CheckQueries(queries, queryCount, Dimension, nameof(queries));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var results = new VectorHit[queryCount][];
        int d = Dimension;
        for (int q = 0; q < queryCount; q++)
        {
            results[q] = SearchOne(queries.Slice(q * d, d), k, Math.Max(EfSearch, k));
        }
        return results;
    }

    /// <summary>
    /// Approximate range search: searches with a growing candidate list until the farthest found is beyond
    /// <paramref name="radius"/> (or every live vector is found), then keeps those within it. May miss vectors the
    /// graph search misses; use <see cref="FlatIndex"/> when every one matters.
    /// </summary>
    public VectorHit[] RangeSearch(ReadOnlySpan<float> query, float radius)
    {
        IndexInput.CheckQueries(query, 1, Dimension, nameof(query));
        if (float.IsNaN(radius))
        {
            throw new ArgumentException("The radius must not be NaN.", nameof(radius));
        }
        int k = Math.Min(Math.Max(EfSearch, 16), Math.Max(Count, 1));
        while (true)
        {
            var hits = SearchOne(query, k, k);
            if (hits.Length < k || hits[^1].Distance > radius || k >= Count)
            {
                int n = 0;
                while (n < hits.Length && hits[n].Distance <= radius)
                {
                    n++;
                }
                return hits[..n];
            }
            k = (int)Math.Min((long)k * 2, Count);
        }
    }

    /// <summary>Writes the graph, vectors, ids, labels, options and generator state atomically, with an XXH3-64 checksum.</summary>
    public void Save(string path) => HnswFile.Write(path, this);

    /// <summary>Loads an index written by <see cref="Save"/>; the checksum and every link are verified.</summary>
    /// <exception cref="InvalidDataException">Wrong magic or version, truncated, corrupt or inconsistent file (the message names the file).</exception>
    public static HnswIndex Load(string path) => HnswFile.Read(path);

    /// <summary>Puts back what <see cref="HnswFile"/> read: the graph and, per node, its id and label. Returns the first problem, or null.</summary>
    internal string? Restore(int nodes, int entry, int top, ReadOnlySpan<float> vectors, ReadOnlySpan<int> levels, ReadOnlySpan<bool> deleted,
        ReadOnlySpan<int> links0, int[]?[] upper, string[] ids, ReadOnlySpan<int> labels)
    {
        string? problem = _graph.Restore(nodes, entry, top, vectors, levels, deleted, links0, upper);
        if (problem is not null)
        {
            return problem;
        }
        for (int i = 0; i < nodes; i++)
        {
            _ids.Add(ids[i]);
            _labels.Add(labels[i]);
            if (!deleted[i] && !_nodeOf.TryAdd(ids[i], i))
            {
                return $"id '{ids[i]}' appears twice.";
            }
        }
        return null;
    }

    private VectorHit[] SearchOne(ReadOnlySpan<float> query, int k, int ef)
    {
        if (Count == 0)
        {
            return [];
        }
        int found = _graph.Search(query, ef, out var nodes, out var distances);
        int n = Math.Min(k, found);
        var hits = new VectorHit[n];
        for (int i = 0; i < n; i++)
        {
            int node = nodes[i];
            hits[i] = new VectorHit(_ids[node], VectorKernels.ToReported(Metric, distances[i]), _labels[node]);
        }
        return hits;
    }
}
