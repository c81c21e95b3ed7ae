using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using DeepMetric.Distances;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Search;

/// <summary>
/// The graph of an <see cref="HnswIndex"/> on node numbers 0, 1, …: vectors, layered links, levels and deletion marks,
/// with insertion (Algorithm 1 of Malkov &amp; Yashunin, TPAMI 2018, with the neighbour heuristic of Algorithm 4) and
/// search (Algorithms 2 and 5). Ids, labels and the file format live in <see cref="HnswIndex"/> and <see cref="HnswFile"/>.
/// </summary>
/// <remarks>Not safe for concurrent use: queries share scratch buffers.</remarks>
internal sealed class HnswGraph
{
    /// <summary>The highest level a node can get.</summary>
    public const int MaxLevel = 30;

    private readonly int _m;
    private readonly int _m0;
    private readonly MaxHeap _candidates = new(256);
    private readonly MaxHeap _results = new(256);
    private readonly float[] _query;
    private readonly int[] _batch;

    private float[] _vectors = [];
    private int[] _links0 = [];
    private int[]?[] _upper = [];
    private int[] _levels = [];
    private bool[] _deleted = [];
    private int[] _visited = [];
    private int _stamp;

    // Scratch for neighbour selection (sized on first use).
    private float[] _sortedDist = [];
    private int[] _sortedIds = [];
    private int[] _selected = [];
    private int[] _neighbours = [];
    private int[] _discarded = [];
    private int[] _duplicates = [];

    /// <summary>An empty graph; <paramref name="options"/> must be validated.</summary>
    public HnswGraph(int dimension, VectorMetric metric, HnswOptions options)
    {
        Dimension = dimension;
        Metric = metric;
        Options = options;
        _m = options.M;
        _m0 = 2 * options.M;
        Rng = new Prng(options.Seed);
        _query = new float[dimension];
        _batch = new int[_m0 + 1];
    }

    public int Dimension { get; }

    public VectorMetric Metric { get; }

    public HnswOptions Options { get; }

    /// <summary>The level generator (saved with the graph, so adding after a load builds the same graph).</summary>
    public Prng Rng { get; }

    /// <summary>Nodes, deleted ones included.</summary>
    public int NodeCount { get; private set; }

    /// <summary>The entry point, −1 when empty.</summary>
    public int Entry { get; private set; } = -1;

    /// <summary>The entry point's level, −1 when empty.</summary>
    public int TopLevel { get; private set; } = -1;

    /// <summary>Links per node on layer 0 (the first word of each list is its count): 2·M + 1.</summary>
    public int Stride0 => _m0 + 1;

    /// <summary>Links per node and upper layer: M + 1.</summary>
    public int StrideUpper => _m + 1;

    /// <summary>The stored (normalised for cosine) vectors of every node.</summary>
    public ReadOnlySpan<float> Vectors => _vectors.AsSpan(0, NodeCount * Dimension);

    public ReadOnlySpan<int> Levels => _levels.AsSpan(0, NodeCount);

    public ReadOnlySpan<bool> Deleted => _deleted.AsSpan(0, NodeCount);

    /// <summary>Layer-0 link lists of every node, <see cref="Stride0"/> words each.</summary>
    public ReadOnlySpan<int> Links0 => _links0.AsSpan(0, NodeCount * Stride0);

    /// <summary>The upper-layer link lists of <paramref name="node"/> (layers 1 … level, <see cref="StrideUpper"/> words each).</summary>
    public ReadOnlySpan<int> UpperLinks(int node) => _upper[node];

    /// <summary>Adds <paramref name="vector"/> as the next node and links it in; returns its number.</summary>
    public int Add(ReadOnlySpan<float> vector)
    {
        EnsureCapacity(NodeCount + 1);
        int node = NodeCount;
        var row = Vector(node);
        vector.CopyTo(row);
        if (Metric == VectorMetric.Cosine)
        {
            VectorKernels.Normalize(row);
        }
        NodeCount++;
        Insert(node, RandomLevel());
        return node;
    }

    /// <summary>Room for <paramref name="count"/> nodes without reallocating.</summary>
    public void Reserve(int count) => EnsureCapacity(count);

    /// <summary>Marks a node deleted: skipped in results, still used to navigate.</summary>
    public void MarkDeleted(int node) => _deleted[node] = true;

    /// <summary>
    /// Sets the whole graph from saved parts and checks it: every level within [0, top], every link count within its
    /// cap and every link to an existing node on that layer. Returns the first problem, or null when consistent.
    /// </summary>
    public string? Restore(int nodes, int entry, int top, ReadOnlySpan<float> vectors, ReadOnlySpan<int> levels, ReadOnlySpan<bool> deleted,
        ReadOnlySpan<int> links0, int[]?[] upper)
    {
        if (nodes < 0 || entry < -1 || entry >= nodes || top < -1 || top > MaxLevel || (entry == -1) != (nodes == 0))
        {
            return "invalid node count or entry point.";
        }
        if (entry >= 0 && levels[entry] != top)
        {
            return $"the entry point {entry} is not on the top layer {top}.";
        }
        EnsureCapacity(nodes);
        vectors.CopyTo(_vectors);
        levels.CopyTo(_levels);
        deleted.CopyTo(_deleted);
        links0.CopyTo(_links0);
        upper.AsSpan(0, nodes).CopyTo(_upper);
        NodeCount = nodes;
        Entry = entry;
        TopLevel = top;
        for (int i = 0; i < nodes; i++)
        {
            int level = _levels[i];
            if (level < 0 || level > top || (level > 0) != (_upper[i] is not null) || (level > 0 && _upper[i]!.Length != level * StrideUpper))
            {
                return $"node {i} has invalid level {level}.";
            }
            for (int lc = 0; lc <= level; lc++)
            {
                var links = Links(i, lc);
                int cap = lc == 0 ? _m0 : _m;
                if (links[0] < 0 || links[0] > cap)
                {
                    return $"node {i} has an invalid link count on layer {lc}.";
                }
                foreach (int target in links.Slice(1, links[0]))
                {
                    if (target < 0 || target >= nodes || _levels[target] < lc)
                    {
                        return $"node {i} links to invalid node {target} on layer {lc}.";
                    }
                }
            }
        }
        return null;
    }

    /// <summary>
    /// The (up to) <paramref name="ef"/> closest live nodes to <paramref name="query"/>, closest first, as views of
    /// scratch valid until the next call; distances are internal (squared L2, 1 − cos, −dot).
    /// </summary>
    public int Search(ReadOnlySpan<float> query, int ef, out ReadOnlySpan<int> nodes, out ReadOnlySpan<float> distances)
    {
        if (Entry < 0)
        {
            nodes = [];
            distances = [];
            return 0;
        }
        query.CopyTo(_query);
        if (Metric == VectorMetric.Cosine)
        {
            VectorKernels.Normalize(_query);
        }
        ReadOnlySpan<float> q = _query;
        int ep = Entry;
        float epDist = Distance(q, ep);
        for (int lc = TopLevel; lc > 0; lc--)
        {
            (ep, epDist) = GreedyStep(q, ep, epDist, lc);
        }
        SearchLayer(q, ep, epDist, ef, 0, skipDeleted: true);
        int found = DrainResults();
        nodes = _sortedIds.AsSpan(0, found);
        distances = _sortedDist.AsSpan(0, found);
        return found;
    }

    private int RandomLevel()
    {
        // ⌊−ln(u)·mL⌋ with mL = 1/ln(M) is the largest l with u ≤ M^−l; counting that needs no logarithm, so the
        // levels are bit-identical on every machine. u is in (0, 1].
        double u = 1.0 - Rng.NextDouble();
        int level = 0;
        double p = 1.0 / _m;
        while (u <= p && level < MaxLevel)
        {
            level++;
            p /= _m;
        }
        return level;
    }

    private Span<float> Vector(int node) => _vectors.AsSpan(node * Dimension, Dimension);

    private Span<int> Links(int node, int level) => level == 0
        ? _links0.AsSpan(node * (_m0 + 1), _m0 + 1)
        : _upper[node]!.AsSpan((level - 1) * (_m + 1), _m + 1);

    private float Distance(ReadOnlySpan<float> query, int node) => VectorKernels.Distance(Metric, query, Vector(node));

    private void Insert(int node, int level)
    {
        _levels[node] = level;
        if (level > 0)
        {
            _upper[node] = new int[level * (_m + 1)];
        }
        if (Entry < 0)
        {
            Entry = node;
            TopLevel = level;
            return;
        }
        ReadOnlySpan<float> q = Vector(node);
        int ep = Entry;
        float epDist = Distance(q, ep);
        for (int lc = TopLevel; lc > level; lc--)
        {
            (ep, epDist) = GreedyStep(q, ep, epDist, lc);
        }
        for (int lc = Math.Min(level, TopLevel); lc >= 0; lc--)
        {
            SearchLayer(q, ep, epDist, Options.EfConstruction, lc, skipDeleted: false);
            int found = DrainResults();
            // The closest candidate is the entry point of the next layer down.
            ep = _sortedIds[0];
            epDist = _sortedDist[0];
            int chosen = SelectNeighbors(_sortedIds.AsSpan(0, found), _sortedDist.AsSpan(0, found), _m);
            var own = Links(node, lc);
            own[0] = chosen;
            _selected.AsSpan(0, chosen).CopyTo(own[1..]);
            // Copy: _selected is reused while shrinking the neighbours' lists.
            var neighbours = _neighbours;
            _selected.AsSpan(0, chosen).CopyTo(neighbours);
            for (int i = 0; i < chosen; i++)
            {
                Connect(neighbours[i], node, lc);
            }
        }
        if (level > TopLevel)
        {
            Entry = node;
            TopLevel = level;
        }
    }

    /// <summary>Adds the link <paramref name="from"/> → <paramref name="to"/>, shrinking with the heuristic when the list overflows.</summary>
    private void Connect(int from, int to, int level)
    {
        var links = Links(from, level);
        int cap = level == 0 ? _m0 : _m;
        int count = links[0];
        if (count < cap)
        {
            links[count + 1] = to;
            links[0] = count + 1;
            return;
        }
        var fromVec = Vector(from);
        int total = count + 1;
        EnsureScratch(total);
        for (int i = 0; i < count; i++)
        {
            _sortedIds[i] = links[i + 1];
            _sortedDist[i] = Distance(fromVec, links[i + 1]);
        }
        _sortedIds[count] = to;
        _sortedDist[count] = Distance(fromVec, to);
        Array.Sort(_sortedDist, _sortedIds, 0, total);
        int chosen = SelectNeighbors(_sortedIds.AsSpan(0, total), _sortedDist.AsSpan(0, total), cap);
        links[0] = chosen;
        _selected.AsSpan(0, chosen).CopyTo(links[1..]);
    }

    /// <summary>
    /// Algorithm 4 (SELECT-NEIGHBORS-HEURISTIC) on candidates sorted by distance to the base element: a candidate is kept
    /// when it is closer to the base than to every neighbour kept so far, which favours links in diverse directions.
    /// One addition: a candidate identical to a kept neighbour (L2 or cosine distance 0) is taken only if room is left.
    /// Writes the choice to <see cref="_selected"/>.
    /// </summary>
    private int SelectNeighbors(ReadOnlySpan<int> candidates, ReadOnlySpan<float> distances, int m)
    {
        EnsureScratch(candidates.Length);
        int chosen = 0;
        int discarded = 0;
        int duplicates = 0;
        for (int i = 0; i < candidates.Length && chosen < m; i++)
        {
            int c = candidates[i];
            var cv = Vector(c);
            bool good = true;
            bool duplicate = false;
            for (int j = 0; j < chosen; j++)
            {
                float between = VectorKernels.Distance(Metric, cv, Vector(_selected[j]));
                if (IsDuplicate(between))
                {
                    duplicate = true;
                    break;
                }
                if (between < distances[i])
                {
                    good = false;
                    break;
                }
            }
            if (duplicate)
            {
                _duplicates[duplicates++] = c;
            }
            else if (good)
            {
                _selected[chosen++] = c;
            }
            else
            {
                _discarded[discarded++] = c;
            }
        }
        // Copies of kept neighbours only fill the room left: among many identical vectors the list would otherwise
        // fill with them (0 < 0 is false) and drop the links that lead elsewhere, while dropping them all would cut
        // the copies off from one another.
        for (int i = 0; i < duplicates && chosen < m; i++)
        {
            _selected[chosen++] = _duplicates[i];
        }
        if (Options.KeepPrunedConnections)
        {
            for (int i = 0; i < discarded && chosen < m; i++)
            {
                _selected[chosen++] = _discarded[i];
            }
        }
        return chosen;
    }

    private bool IsDuplicate(float internalDistance) => Metric switch
    {
        VectorMetric.L2 => internalDistance == 0f,
        VectorMetric.Cosine => internalDistance <= 0f,
        _ => false,
    };

    private (int Node, float Distance) GreedyStep(ReadOnlySpan<float> q, int ep, float epDist, int level)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            var links = Links(ep, level);
            int count = links[0];
            for (int i = 1; i <= count; i++)
            {
                int nb = links[i];
                float d = Distance(q, nb);
                if (d < epDist)
                {
                    epDist = d;
                    ep = nb;
                    changed = true;
                }
            }
        }
        return (ep, epDist);
    }

    /// <summary>Algorithm 2 (SEARCH-LAYER): best-first search keeping the <paramref name="ef"/> closest in <see cref="_results"/>.</summary>
    private void SearchLayer(ReadOnlySpan<float> q, int ep, float epDist, int ef, int level, bool skipDeleted)
    {
        int stamp = NextStamp();
        var visited = _visited;
        var candidates = _candidates;
        var results = _results;
        candidates.Clear();
        results.Clear();
        visited[ep] = stamp;
        // Candidates are a min-heap by storing negated distances in the max-heap.
        candidates.Push(-epDist, ep);
        if (!skipDeleted || !_deleted[ep])
        {
            results.Push(epDist, ep);
        }
        while (candidates.Count > 0)
        {
            float cd = -candidates.TopKey;
            int c = candidates.TopValue;
            if (results.Count >= ef && cd > results.TopKey)
            {
                break;
            }
            candidates.Pop();
            var links = Links(c, level);
            int count = links[0];
            // First the unvisited neighbours, with their vectors prefetched (graph hops are cache misses), then the distances.
            var batch = _batch;
            int fresh = 0;
            for (int i = 1; i <= count; i++)
            {
                int e = links[i];
                if (visited[e] != stamp)
                {
                    visited[e] = stamp;
                    batch[fresh++] = e;
                    Prefetch(e);
                }
            }
            for (int i = 0; i < fresh; i++)
            {
                int e = batch[i];
                float d = Distance(q, e);
                if (results.Count < ef || d < results.TopKey)
                {
                    candidates.Push(-d, e);
                    if (!skipDeleted || !_deleted[e])
                    {
                        results.PushBounded(d, e, ef);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void Prefetch(int node)
    {
        if (Sse.IsSupported)
        {
            byte* p = (byte*)Unsafe.AsPointer(ref _vectors[node * Dimension]);
            int bytes = Math.Min(Dimension * sizeof(float), 512);
            for (int offset = 0; offset < bytes; offset += 64)
            {
                Sse.Prefetch0(p + offset);
            }
        }
    }

    private int DrainResults()
    {
        int found = _results.Count;
        EnsureScratch(found);
        _results.DrainAscending(_sortedDist.AsSpan(0, found), _sortedIds.AsSpan(0, found));
        return found;
    }

    private int NextStamp()
    {
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_visited);
            _stamp = 1;
        }
        return _stamp;
    }

    private void EnsureScratch(int n)
    {
        if (_sortedIds.Length < n)
        {
            int size = Math.Max(n, Math.Max(_m0 + 1, 64));
            _sortedIds = new int[size];
            _sortedDist = new float[size];
            _selected = new int[size];
            _neighbours = new int[size];
            _discarded = new int[size];
            _duplicates = new int[size];
        }
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _levels.Length)
        {
            return;
        }
        int capacity = Math.Max(needed, Math.Max(16, _levels.Length * 2));
        long floats = (long)capacity * Dimension;
        long links = (long)capacity * (_m0 + 1);
        if (floats > Array.MaxLength || links > Array.MaxLength)
        {
            capacity = needed;
            floats = (long)capacity * Dimension;
            links = (long)capacity * (_m0 + 1);
            if (floats > Array.MaxLength || links > Array.MaxLength)
            {
                throw new InvalidOperationException($"An HNSW index of dimension {Dimension} and M = {_m} cannot hold {needed} vectors.");
            }
        }
        // Pinned, so neighbour vectors can be prefetched by address during search.
        var vectors = GC.AllocateUninitializedArray<float>((int)floats, pinned: true);
        _vectors.CopyTo(vectors, 0);
        _vectors = vectors;
        Array.Resize(ref _links0, (int)links);
        Array.Resize(ref _upper, capacity);
        Array.Resize(ref _levels, capacity);
        Array.Resize(ref _deleted, capacity);
        Array.Resize(ref _visited, capacity);
    }
}
