using DeepMetric.Evaluation;

namespace DeepMetric.Search;

/// <summary>
/// Exact (brute-force) nearest-neighbour search on the library's one exact-kNN core: tiles of queries × stored vectors
/// by GEMM, using ‖q − x‖² = ‖q‖² + ‖x‖² − 2·q·x for L2, and a linear-time selection of the k best per query (the GEMM
/// formulation of exact search used by Faiss: Johnson, Douze &amp; Jégou, "Billion-scale similarity search with GPUs",
/// IEEE TBD 2019; ties in that selection go to the earlier slot). The selected neighbours' distances are then
/// recomputed directly, so reported distances carry no cancellation error (an exact copy is at distance 0).
/// </summary>
public sealed class FlatIndex : IVectorIndex
{
    // Range search scores at most this many stored vectors per GEMM (4 MB of scratch), whatever the index size.
    private const int ScratchFloats = 1 << 20;

    private float[] _data = [];
    private float[] _sqNorms = [];
    private string[] _ids = [];
    private int[] _labels = [];
    private readonly Dictionary<string, int> _slotOf = new(StringComparer.Ordinal);

    /// <summary>Creates an empty index.</summary>
    public FlatIndex(int dimension, VectorMetric metric)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), $"Unknown metric {metric}.");
        }
        Dimension = dimension;
        Metric = metric;
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public VectorMetric Metric { get; }

    /// <inheritdoc/>
    public int Count { get; private set; }

    /// <inheritdoc/>
    public void Add(IReadOnlyList<string> ids, ReadOnlySpan<float> vectors, ReadOnlySpan<int> labels = default)
    {
        IndexInput.Validate(ids, vectors, labels, Dimension, Contains);
        int n = ids.Count;
        EnsureCapacity(Count + n);
        int d = Dimension;
        for (int i = 0; i < n; i++)
        {
            int slot = Count + i;
            var row = _data.AsSpan(slot * d, d);
            vectors.Slice(i * d, d).CopyTo(row);
            if (Metric == VectorMetric.Cosine)
            {
                VectorKernels.Normalize(row);
            }
            _sqNorms[slot] = VectorKernels.Dot(row, row);
            _ids[slot] = ids[i];
            _labels[slot] = labels.IsEmpty ? -1 : labels[i];
            _slotOf.Add(ids[i], slot);
        }
        Count += n;
    }

    /// <inheritdoc/>
    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!_slotOf.Remove(id, out int slot))
        {
            return false;
        }
        // Keep storage dense: the last row moves into the hole.
        int last = Count - 1;
        if (slot != last)
        {
            int d = Dimension;
            _data.AsSpan(last * d, d).CopyTo(_data.AsSpan(slot * d, d));
            _sqNorms[slot] = _sqNorms[last];
            _ids[slot] = _ids[last];
            _labels[slot] = _labels[last];
            _slotOf[_ids[slot]] = slot;
        }
        _ids[last] = null!;
        Count = last;
        return true;
    }

    /// <inheritdoc/>
    public bool Contains(string id) => _slotOf.ContainsKey(id ?? throw new ArgumentNullException(nameof(id)));

    /// <inheritdoc/>
    public VectorHit[] Search(ReadOnlySpan<float> query, int k)
    {
        IndexInput.CheckQueries(query, 1, Dimension, nameof(query));
        return Search(query, 1, k)[0];
    }

    /// <inheritdoc/>
    public VectorHit[][] Search(ReadOnlySpan<float> queries, int queryCount, int k)
    {
        IndexInput.CheckQueries(queries, queryCount, Dimension, nameof(queries));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int d = Dimension;
        int kk = Math.Min(k, Count);
        var results = new VectorHit[queryCount][];
        if (kk == 0)
        {
            for (int q = 0; q < queryCount; q++)
            {
                results[q] = [];
            }
            return results;
        }
        var qbuf = GC.AllocateUninitializedArray<float>(queryCount * d);
        PrepareQueries(queries[..(queryCount * d)], qbuf, new float[queryCount]);
        var slots = new int[kk];
        BlockedKnn.Run(qbuf, queryCount, _data, _sqNorms, Count, d, kk, TileDistanceOf(Metric), exclude: null, (q, neighbours) =>
        {
            for (int t = 0; t < kk; t++)
            {
                slots[t] = (int)(uint)neighbours[t];
            }
            results[q] = Refine(qbuf.AsSpan(q * d, d), slots, float.PositiveInfinity);
        });
        return results;
    }

    /// <inheritdoc/>
    public VectorHit[] RangeSearch(ReadOnlySpan<float> query, float radius)
    {
        IndexInput.CheckQueries(query, 1, Dimension, nameof(query));
        if (float.IsNaN(radius))
        {
            throw new ArgumentException("The radius must not be NaN.", nameof(radius));
        }
        if (Count == 0 || radius < 0 && Metric != VectorMetric.InnerProduct)
        {
            return [];
        }
        int d = Dimension;
        var qbuf = new float[d];
        var qNorm = new float[1];
        PrepareQueries(query, qbuf, qNorm);
        float threshold = Metric == VectorMetric.L2 ? radius * radius : radius;
        var candidates = new List<int>();
        GramTiles.ForEach(qbuf, 1, _data, Count, d, rowBlock: 1, columnBlock: ScratchFloats, upperTriangle: false,
            (_, _, c0, nc, scores) => Screen(scores, c0, nc, qNorm[0], threshold, candidates));
        return Refine(qbuf, candidates.ToArray(), threshold);
    }

    /// <inheritdoc/>
    public void Save(string path) => Save(path, model: string.Empty);

    /// <summary>Saves as an <see cref="EmbeddingStore"/> file (atomic, checksummed), recording <paramref name="model"/> in its metadata.</summary>
    public void Save(string path, string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var meta = new EmbeddingMetadata(model, Metric, Metric == VectorMetric.Cosine ? "l2" : "none");
        EmbeddingStore.Write(path, _data.AsSpan(0, Count * Dimension), Dimension, new ArraySegment<string>(_ids, 0, Count), _labels.AsSpan(0, Count), meta);
    }

    /// <summary>Loads an index saved by <see cref="Save(string)"/> (or any embedding store), verifying the checksum.</summary>
    public static FlatIndex Load(string path)
    {
        using var store = EmbeddingStore.Open(path, verifyChecksum: true);
        return FromStore(store);
    }

    /// <summary>An index holding every row of <paramref name="store"/>, searched with the store's metric.</summary>
    public static FlatIndex FromStore(EmbeddingStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var index = new FlatIndex(store.Dimension, store.Metadata.Metric);
        index.Add(store.GetIds(), store.Vectors, store.Labels);
        return index;
    }

    // Candidates of a range search in one tile of dot products (a method, so the loop runs on locals, not closure fields).
    private void Screen(ReadOnlySpan<float> scores, int c0, int nc, float queryNorm, float threshold, List<int> candidates)
    {
        var norms = _sqNorms.AsSpan(c0, nc);
        bool l2 = Metric == VectorMetric.L2;
        for (int j = 0; j < nc; j++)
        {
            float dist = GemmDistance(scores[j], queryNorm, norms[j]);
            // Slack for the rounding of the GEMM form; Refine applies the exact test.
            float slack = 1e-4f * (1f + Math.Abs(threshold) + (l2 ? queryNorm + norms[j] : 0f));
            if (dist <= threshold + slack)
            {
                candidates.Add(c0 + j);
            }
        }
    }

    private static TileDistance TileDistanceOf(VectorMetric metric) => metric switch
    {
        VectorMetric.L2 => TileDistance.SquaredL2,
        VectorMetric.Cosine => TileDistance.OneMinusDot,
        _ => TileDistance.NegativeDot,
    };

    private float GemmDistance(float dot, float queryNorm, float rowNorm) => Metric switch
    {
        VectorMetric.L2 => queryNorm + rowNorm - (2f * dot),
        VectorMetric.Cosine => 1f - dot,
        _ => -dot,
    };

    private void PrepareQueries(ReadOnlySpan<float> queries, Span<float> buffer, Span<float> norms)
    {
        int d = Dimension;
        queries.CopyTo(buffer);
        for (int i = 0; i < queries.Length / d; i++)
        {
            var q = buffer.Slice(i * d, d);
            if (Metric == VectorMetric.Cosine)
            {
                VectorKernels.Normalize(q);
            }
            norms[i] = VectorKernels.Dot(q, q);
        }
    }

    /// <summary>Exact distances for the chosen slots, filtered by <paramref name="threshold"/> and sorted by distance.</summary>
    private VectorHit[] Refine(ReadOnlySpan<float> query, int[] slots, float threshold)
    {
        int d = Dimension;
        var dist = new float[slots.Length];
        int kept = 0;
        var keptSlots = new int[slots.Length];
        for (int i = 0; i < slots.Length; i++)
        {
            float value = VectorKernels.Distance(Metric, query, _data.AsSpan(slots[i] * d, d));
            if (value <= threshold)
            {
                dist[kept] = value;
                keptSlots[kept++] = slots[i];
            }
        }
        Array.Sort(dist, keptSlots, 0, kept);
        var hits = new VectorHit[kept];
        for (int i = 0; i < kept; i++)
        {
            int s = keptSlots[i];
            hits[i] = new VectorHit(_ids[s], VectorKernels.ToReported(Metric, dist[i]), _labels[s]);
        }
        return hits;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _ids.Length)
        {
            return;
        }
        int capacity = Math.Max(needed, Math.Min(Array.MaxLength / Dimension, Math.Max(16, _ids.Length * 2)));
        long floats = (long)capacity * Dimension;
        if (floats > Array.MaxLength)
        {
            throw new InvalidOperationException($"A flat index of dimension {Dimension} holds at most {Array.MaxLength / Dimension} vectors.");
        }
        Array.Resize(ref _data, (int)floats);
        Array.Resize(ref _sqNorms, capacity);
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _labels, capacity);
    }
}
