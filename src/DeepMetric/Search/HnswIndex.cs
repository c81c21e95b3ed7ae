using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using DeepMetric.Tensors.Random;

using DeepMetric.Internal;

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
/// <para>Not safe for concurrent use: queries share scratch buffers.</para>
/// </remarks>
public sealed class HnswIndex : IVectorIndex
{
    /// <summary>The current file format version.</summary>
    public const int FormatVersion = 1;

    private const int FileHeaderSize = 32;
    private const int MaxLevel = 30;
    private static ReadOnlySpan<byte> Magic => "DMHNSWIX"u8;

    private readonly HnswOptions _options;
    private readonly int _m;
    private readonly int _m0;
    private readonly Prng _rng;
    private readonly Dictionary<string, int> _nodeOf = new(StringComparer.Ordinal);
    private readonly MaxHeap _candidates = new(256);
    private readonly MaxHeap _results = new(256);
    private readonly float[] _query;

    private float[] _vectors = [];
    private int[] _links0 = [];
    private int[]?[] _upper = [];
    private int[] _levels = [];
    private int[] _labels = [];
    private string[] _ids = [];
    private bool[] _deleted = [];
    private int[] _visited = [];
    private int _stamp;
    private int _nodes;
    private int _entry = -1;
    private int _topLevel = -1;

    // Scratch for neighbour selection (sized on first use).
    private float[] _sortedDist = [];
    private int[] _sortedIds = [];
    private int[] _selected = [];
    private int[] _neighbours = [];
    private int[] _discarded = [];
    private int[] _duplicates = [];
    private readonly int[] _batch;

    /// <summary>Creates an empty index.</summary>
    public HnswIndex(int dimension, VectorMetric metric, HnswOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), $"Unknown metric {metric}.");
        }
        _options = options ?? new HnswOptions();
        _options.Validate();
        Dimension = dimension;
        Metric = metric;
        _m = _options.M;
        _m0 = 2 * _options.M;
        _rng = new Prng(_options.Seed);
        EfSearch = _options.EfSearch;
        _query = new float[dimension];
        _batch = new int[_m0 + 1];
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public VectorMetric Metric { get; }

    /// <inheritdoc/>
    public int Count => _nodeOf.Count;

    /// <summary>The build options.</summary>
    public HnswOptions Options => _options;

    /// <summary>Nodes in the graph, including those marked deleted.</summary>
    public int NodeCount => _nodes;

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

    /// <inheritdoc/>
    public void Add(IReadOnlyList<string> ids, ReadOnlySpan<float> vectors, ReadOnlySpan<int> labels = default)
    {
        IndexInput.Validate(ids, vectors, labels, Dimension, Contains);
        int n = ids.Count;
        EnsureCapacity(_nodes + n);
        int d = Dimension;
        for (int i = 0; i < n; i++)
        {
            int node = _nodes;
            var row = _vectors.AsSpan(node * d, d);
            vectors.Slice(i * d, d).CopyTo(row);
            if (Metric == VectorMetric.Cosine)
            {
                VectorKernels.Normalize(row);
            }
            _ids[node] = ids[i];
            _labels[node] = labels.IsEmpty ? -1 : labels[i];
            _nodeOf.Add(ids[i], node);
            _nodes++;
            Insert(node, RandomLevel());
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
        _deleted[node] = true;
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
    public void Save(string path)
    {
        using var file = new AtomicFile(path);
        var stream = file.Stream;
        stream.Write(new byte[FileHeaderSize]);
        var w = new HashingWriter(stream);
        w.WriteInt32(Dimension);
        w.WriteInt32((int)Metric);
        w.WriteInt32(_options.M);
        w.WriteInt32(_options.EfConstruction);
        w.WriteInt32(EfSearch);
        w.WriteInt32(_options.KeepPrunedConnections ? 1 : 0);
        w.WriteInt64((long)_options.Seed);
        var state = _rng.GetState();
        w.WriteInt64((long)state.S0);
        w.WriteInt64((long)state.S1);
        w.WriteInt64((long)state.S2);
        w.WriteInt64((long)state.S3);
        w.WriteInt32(state.HasSpareNormal ? 1 : 0);
        w.WriteInt64(BitConverter.DoubleToInt64Bits(state.SpareNormal));
        w.WriteInt32(_nodes);
        w.WriteInt32(_entry);
        w.WriteInt32(_topLevel);
        w.Write(_vectors.AsSpan(0, _nodes * Dimension));
        w.Write(_labels.AsSpan(0, _nodes));
        w.Write(_levels.AsSpan(0, _nodes));
        w.Write(MemoryMarshal.AsBytes(_deleted.AsSpan(0, _nodes)));
        w.Write(_links0.AsSpan(0, _nodes * (_m0 + 1)));
        for (int i = 0; i < _nodes; i++)
        {
            if (_levels[i] > 0)
            {
                w.Write(_upper[i]!);
            }
        }
        for (int i = 0; i < _nodes; i++)
        {
            w.WriteString(_ids[i]);
        }
        var header = new byte[FileHeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), w.Written);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), w.Checksum);
        stream.Position = 0;
        stream.Write(header);
        file.Commit();
    }

    /// <summary>Loads an index written by <see cref="Save"/>; the checksum and every link are verified.</summary>
    /// <exception cref="InvalidDataException">Wrong magic or version, truncated, corrupt or inconsistent file.</exception>
    public static HnswIndex Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        SearchIO.Check(bytes.Length >= FileHeaderSize, path, $"file is truncated ({bytes.Length} bytes, shorter than the {FileHeaderSize}-byte header).");
        SearchIO.Check(bytes.AsSpan(0, 8).SequenceEqual(Magic), path, "not an HNSW index (wrong magic bytes).");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        SearchIO.Check(version == FormatVersion, path, $"HNSW index format version {version} is not supported (this library reads version {FormatVersion}).");
        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16));
        SearchIO.Check(payloadLength == bytes.Length - FileHeaderSize, path, payloadLength > bytes.Length - FileHeaderSize
            ? $"file is truncated ({bytes.Length} bytes, the header says {payloadLength + FileHeaderSize})."
            : "file has unexpected trailing bytes.");
        var payload = bytes.AsSpan(FileHeaderSize);
        SearchIO.Check(XxHash3.HashToUInt64(payload) == BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24)), path, "checksum mismatch (the file is corrupt).");
        try
        {
            return Read(path, payload);
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"'{path}': inconsistent HNSW index ({ex.Message}).", ex);
        }
    }

    private static HnswIndex Read(string path, ReadOnlySpan<byte> payload)
    {
        int p = 0;
        int ReadInt(ReadOnlySpan<byte> s) { int v = BinaryPrimitives.ReadInt32LittleEndian(s[p..]); p += 4; return v; }
        long ReadLong(ReadOnlySpan<byte> s) { long v = BinaryPrimitives.ReadInt64LittleEndian(s[p..]); p += 8; return v; }
        int dim = ReadInt(payload);
        var metric = (VectorMetric)ReadInt(payload);
        int m = ReadInt(payload);
        int efC = ReadInt(payload);
        int efS = ReadInt(payload);
        bool keep = ReadInt(payload) != 0;
        ulong seed = (ulong)ReadLong(payload);
        var state = new PrngState((ulong)ReadLong(payload), (ulong)ReadLong(payload), (ulong)ReadLong(payload), (ulong)ReadLong(payload),
            ReadInt(payload) != 0, BitConverter.Int64BitsToDouble(ReadLong(payload)));
        var index = new HnswIndex(dim, metric, new HnswOptions(m, efC, efS, seed, keep));
        index._rng.SetState(state);
        int nodes = ReadInt(payload);
        int entry = ReadInt(payload);
        int top = ReadInt(payload);
        SearchIO.Check(nodes >= 0 && entry >= -1 && entry < nodes && top >= -1 && top <= MaxLevel && (entry == -1) == (nodes == 0), path, "invalid node count or entry point.");
        index.EnsureCapacity(nodes);
        int d = dim;
        MemoryMarshal.Cast<byte, float>(payload.Slice(p, checked(nodes * d * 4))).CopyTo(index._vectors);
        p += nodes * d * 4;
        MemoryMarshal.Cast<byte, int>(payload.Slice(p, nodes * 4)).CopyTo(index._labels);
        p += nodes * 4;
        MemoryMarshal.Cast<byte, int>(payload.Slice(p, nodes * 4)).CopyTo(index._levels);
        p += nodes * 4;
        for (int i = 0; i < nodes; i++)
        {
            index._deleted[i] = payload[p + i] != 0;
        }
        p += nodes;
        int stride0 = index._m0 + 1;
        MemoryMarshal.Cast<byte, int>(payload.Slice(p, checked(nodes * stride0 * 4))).CopyTo(index._links0);
        p += nodes * stride0 * 4;
        for (int i = 0; i < nodes; i++)
        {
            int level = index._levels[i];
            SearchIO.Check(level >= 0 && level <= top, path, $"node {i} has invalid level {level}.");
            if (level > 0)
            {
                var links = MemoryMarshal.Cast<byte, int>(payload.Slice(p, checked(level * (m + 1) * 4))).ToArray();
                p += links.Length * 4;
                index._upper[i] = links;
            }
        }
        for (int i = 0; i < nodes; i++)
        {
            int length = ReadInt(payload);
            index._ids[i] = Encoding.UTF8.GetString(payload.Slice(p, length));
            p += length;
        }
        SearchIO.Check(p == payload.Length, path, "payload length does not match its contents.");
        index._nodes = nodes;
        index._entry = entry;
        index._topLevel = top;
        for (int i = 0; i < nodes; i++)
        {
            for (int level = 0; level <= index._levels[i]; level++)
            {
                var links = index.Links(i, level);
                int cap = level == 0 ? index._m0 : m;
                SearchIO.Check(links[0] >= 0 && links[0] <= cap, path, $"node {i} has an invalid link count on layer {level}.");
                foreach (int target in links.Slice(1, links[0]))
                {
                    SearchIO.Check(target >= 0 && target < nodes && index._levels[target] >= level, path, $"node {i} links to invalid node {target} on layer {level}.");
                }
            }
            if (!index._deleted[i])
            {
                SearchIO.Check(index._nodeOf.TryAdd(index._ids[i], i), path, $"id '{index._ids[i]}' appears twice.");
            }
        }
        return index;
    }

    private int RandomLevel()
    {
        // ⌊−ln(u)·mL⌋ with mL = 1/ln(M) is the largest l with u ≤ M^−l; counting that needs no logarithm, so the
        // levels are bit-identical on every machine. u is in (0, 1].
        double u = 1.0 - _rng.NextDouble();
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
        if (_entry < 0)
        {
            _entry = node;
            _topLevel = level;
            return;
        }
        ReadOnlySpan<float> q = Vector(node);
        int ep = _entry;
        float epDist = Distance(q, ep);
        for (int lc = _topLevel; lc > level; lc--)
        {
            (ep, epDist) = GreedyStep(q, ep, epDist, lc);
        }
        for (int lc = Math.Min(level, _topLevel); lc >= 0; lc--)
        {
            SearchLayer(q, ep, epDist, _options.EfConstruction, lc, skipDeleted: false);
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
        if (level > _topLevel)
        {
            _entry = node;
            _topLevel = level;
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
        if (_options.KeepPrunedConnections)
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

    private VectorHit[] SearchOne(ReadOnlySpan<float> query, int k, int ef)
    {
        if (Count == 0)
        {
            return [];
        }
        query.CopyTo(_query);
        if (Metric == VectorMetric.Cosine)
        {
            VectorKernels.Normalize(_query);
        }
        ReadOnlySpan<float> q = _query;
        int ep = _entry;
        float epDist = Distance(q, ep);
        for (int lc = _topLevel; lc > 0; lc--)
        {
            (ep, epDist) = GreedyStep(q, ep, epDist, lc);
        }
        SearchLayer(q, ep, epDist, ef, 0, skipDeleted: true);
        int found = DrainResults();
        int n = Math.Min(k, found);
        var hits = new VectorHit[n];
        for (int i = 0; i < n; i++)
        {
            int node = _sortedIds[i];
            hits[i] = new VectorHit(_ids[node], VectorKernels.ToReported(Metric, _sortedDist[i]), _labels[node]);
        }
        return hits;
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
        if (needed <= _ids.Length)
        {
            return;
        }
        int capacity = Math.Max(needed, Math.Max(16, _ids.Length * 2));
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
        Array.Resize(ref _labels, capacity);
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _deleted, capacity);
        Array.Resize(ref _visited, capacity);
    }
}
