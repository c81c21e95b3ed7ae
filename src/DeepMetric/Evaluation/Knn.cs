using System.Numerics.Tensors;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Evaluation;

/// <summary>
/// Exact k-nearest-neighbour search: distances through one matrix product (GEMM) per tile of queries × references, so
/// memory stays bounded (about <see cref="ChunkBytes"/> for the distance tile) whatever the number of queries, then a
/// linear-time selection of the k closest per query (the shared core of every exact search in the library).
/// </summary>
/// <remarks>
/// Ties are broken by the lower reference index, so results are deterministic. Squared Euclidean distances are
/// computed as ‖q‖² + ‖r‖² − 2 q·r and clamped at 0; cosine ranks by 1 − cos on L2-normalised copies.
/// </remarks>
public static class Knn
{
    /// <summary>Target size of one query chunk's distance block, in bytes.</summary>
    public const int ChunkBytes = 32 << 20;

    /// <summary>The <paramref name="k"/> nearest references of each query.</summary>
    /// <param name="queries">Queries [Q, D].</param>
    /// <param name="references">References [R, D]; null searches the queries themselves, leaving each query out of its own list.</param>
    /// <param name="k">Neighbours per query; at most R (R − 1 when leaving one out).</param>
    /// <param name="metric">Euclidean or cosine.</param>
    /// <exception cref="ArgumentException">Shapes do not match or k is out of range.</exception>
    public static KnnResult Search(Tensor queries, Tensor? references, int k, KnnMetric metric = KnnMetric.Euclidean)
    {
        var (q, r, referenceCount) = Operands(queries, references);
        return Search(q, queries.Dim(0), r, referenceCount, queries.Dim(1), k, metric, references is null);
    }

    /// <summary>Validated row-major copies of the queries and references (one copy when leaving one out).</summary>
    private static (float[] Queries, float[] References, int ReferenceCount) Operands(Tensor queries, Tensor? references)
    {
        ArgumentNullException.ThrowIfNull(queries);
        if (queries.Rank != 2)
        {
            throw new ArgumentException($"Queries must be [Q, D], got [{string.Join(", ", queries.Shape)}].", nameof(queries));
        }
        if (references is not null && (references.Rank != 2 || references.Dim(1) != queries.Dim(1)))
        {
            throw new ArgumentException($"References must be [R, {queries.Dim(1)}], got [{string.Join(", ", references.Shape)}].", nameof(references));
        }
        var q = queries.ToArray();
        // Leave-one-out searches the queries themselves: one copy serves both sides.
        var r = references is null ? q : references.ToArray();
        return (q, r, references is null ? queries.Dim(0) : references.Dim(0));
    }

    /// <summary>
    /// The search of <see cref="Search(Tensor, Tensor?, int, KnnMetric)"/> handing each query's list to
    /// <paramref name="sink"/> instead of storing [queries × k] indices and distances.
    /// </summary>
    internal static void ForEach(Tensor queries, Tensor? references, int k, KnnMetric metric, NeighbourSink sink)
    {
        var (q, r, referenceCount) = Operands(queries, references);
        Run(q, queries.Dim(0), r, referenceCount, queries.Dim(1), k, metric, references is null, ChunkBytes, sink);
    }

    /// <summary>The <paramref name="k"/> nearest references of each query, on row-major float arrays.</summary>
    /// <param name="queries">Queries, row-major [queryCount, dim].</param>
    /// <param name="queryCount">Number of queries.</param>
    /// <param name="references">References, row-major [referenceCount, dim].</param>
    /// <param name="referenceCount">Number of references.</param>
    /// <param name="dim">Embedding dimension.</param>
    /// <param name="k">Neighbours per query.</param>
    /// <param name="metric">Euclidean or cosine.</param>
    /// <param name="leaveOneOut">Queries are the references: query i never lists reference i.</param>
    public static KnnResult Search(float[] queries, int queryCount, float[] references, int referenceCount, int dim, int k,
        KnnMetric metric = KnnMetric.Euclidean, bool leaveOneOut = false) =>
        Search(queries, queryCount, references, referenceCount, dim, k, metric, leaveOneOut, ChunkBytes);

    /// <summary>The search with the chunk size passed in, so tests can exercise several chunks on small inputs.</summary>
    internal static KnnResult Search(float[] queries, int queryCount, float[] references, int referenceCount, int dim, int k,
        KnnMetric metric, bool leaveOneOut, long chunkBytes)
    {
        Validate(queries, queryCount, references, referenceCount, dim, k, metric, leaveOneOut);
        var indices = GC.AllocateUninitializedArray<int>(checked(queryCount * k));
        var distances = GC.AllocateUninitializedArray<float>(queryCount * k);
        Run(queries, queryCount, references, referenceCount, dim, k, metric, leaveOneOut, chunkBytes, (query, selected) =>
        {
            var outIdx = indices.AsSpan(query * k, k);
            var outDist = distances.AsSpan(query * k, k);
            for (int t = 0; t < k; t++)
            {
                ulong key = selected[t];
                outIdx[t] = (int)(uint)key;
                float v = BlockedKnn.KeyToDistance(key);
                outDist[t] = metric == KnnMetric.Euclidean ? MathF.Sqrt(v) : v;
            }
        });
        return new KnnResult(indices, distances, k);
    }

    private static void Run(float[] queries, int queryCount, float[] references, int referenceCount, int dim, int k,
        KnnMetric metric, bool leaveOneOut, long chunkBytes, NeighbourSink sink)
    {
        Validate(queries, queryCount, references, referenceCount, dim, k, metric, leaveOneOut);
        var q = queries;
        var refs = references;
        if (metric == KnnMetric.Cosine)
        {
            q = Normalized(queries, queryCount, dim);
            refs = leaveOneOut ? q : Normalized(references, referenceCount, dim);
        }
        var refNorms = metric == KnnMetric.Euclidean ? BlockedKnn.SquaredNorms(refs, referenceCount, dim) : null;
        BlockedKnn.Run(q, queryCount, refs, refNorms, referenceCount, dim, k,
            metric == KnnMetric.Euclidean ? TileDistance.SquaredL2 : TileDistance.OneMinusDot,
            leaveOneOut ? static query => query : null, sink, chunkBytes);
    }

    private static void Validate(float[] queries, int queryCount, float[] references, int referenceCount, int dim, int k,
        KnnMetric metric, bool leaveOneOut)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(references);
        ArgumentOutOfRangeException.ThrowIfNegative(queryCount);
        ArgumentOutOfRangeException.ThrowIfNegative(referenceCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        if (queries.Length != (long)queryCount * dim)
        {
            throw new ArgumentException($"Expected {queryCount}×{dim} query values, got {queries.Length}.", nameof(queries));
        }
        if (references.Length != (long)referenceCount * dim)
        {
            throw new ArgumentException($"Expected {referenceCount}×{dim} reference values, got {references.Length}.", nameof(references));
        }
        if (leaveOneOut && queryCount != referenceCount)
        {
            throw new ArgumentException("Leave-one-out needs the queries to be the references.", nameof(leaveOneOut));
        }
        int available = leaveOneOut ? Math.Max(referenceCount - 1, 0) : referenceCount;
        if (k < 0 || k > available)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [0, {available}] ({referenceCount} references{(leaveOneOut ? ", one left out" : "")}).");
        }
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric.");
        }
    }

    /// <summary>Queries per GEMM tile: as many as keep the [rows × columns] distance tile within <paramref name="chunkBytes"/>, at least 1
    /// (columns: the references, at most <see cref="BlockedKnn.MaxColumns"/>).</summary>
    internal static int ChunkRows(int queryCount, int referenceCount, long chunkBytes) =>
        BlockedKnn.RowBlock(queryCount, Math.Min(referenceCount, BlockedKnn.MaxColumns), chunkBytes);

    /// <summary>
    /// Peak bytes <see cref="Search(Tensor, Tensor?, int, KnnMetric)"/> allocates for these sizes: the float copies of
    /// the inputs (and their normalised copies for cosine), the reference norms, one distance tile, the selection
    /// buffers and the [queries × k] result. It grows with queries × k and not with queries × references.
    /// </summary>
    /// <param name="queryCount">Queries.</param>
    /// <param name="referenceCount">References (the queries when leaving one out).</param>
    /// <param name="dim">Embedding dimension.</param>
    /// <param name="k">Neighbours per query.</param>
    /// <param name="metric">Euclidean or cosine.</param>
    /// <param name="leaveOneOut">Queries are the references (one copy of the inputs).</param>
    public static long EstimateBytes(int queryCount, int referenceCount, int dim, int k, KnnMetric metric = KnnMetric.Euclidean, bool leaveOneOut = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryCount);
        ArgumentOutOfRangeException.ThrowIfNegative(referenceCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        long inputs = 4L * dim * (leaveOneOut ? queryCount : (long)queryCount + referenceCount);
        long normalised = metric == KnnMetric.Cosine ? inputs : 0;
        long norms = metric == KnnMetric.Euclidean ? 4L * referenceCount : 0;
        int columns = Math.Min(referenceCount, BlockedKnn.MaxColumns);
        int rows = ChunkRows(queryCount, referenceCount, ChunkBytes);
        long block = 4L * rows * columns;
        // The selector's candidate, sorted and scratch words, plus the running lists when rows are tiled.
        long keys = (24L * columns) + (columns < referenceCount ? 8L * (rows + 1) * k : 0);
        long result = 8L * queryCount * k;
        return inputs + normalised + norms + block + keys + result;
    }

    /// <summary>
    /// Sorts distinct 64-bit keys ascending: LSD radix sort in 11-bit digits, skipping digits on which all keys agree
    /// (the high bits of the index word, usually the top exponent bits). About 1.5× faster than Array.Sort for the
    /// few hundred to few thousand keys of a neighbour list; the order is the same since the order of ulongs is total.
    /// </summary>
    internal static void RadixSort(Span<ulong> keys, Span<ulong> scratch)
    {
        const int Bits = 11, Buckets = 1 << Bits, Mask = Buckets - 1;
        if (keys.Length < 2)
        {
            return;
        }
        ulong any = 0, all = ulong.MaxValue;
        foreach (ulong v in keys)
        {
            any |= v;
            all &= v;
        }
        ulong varying = any ^ all;
        Span<int> offsets = stackalloc int[Buckets];
        var tmp = scratch[..keys.Length];
        bool inScratch = false;
        for (int shift = 0; shift < 64; shift += Bits)
        {
            if (((varying >> shift) & Mask) == 0)
            {
                continue;
            }
            Span<ulong> from = inScratch ? tmp : keys, to = inScratch ? keys : tmp;
            offsets.Clear();
            foreach (ulong v in from)
            {
                offsets[(int)((v >> shift) & Mask)]++;
            }
            int sum = 0;
            for (int b = 0; b < Buckets; b++)
            {
                int c = offsets[b];
                offsets[b] = sum;
                sum += c;
            }
            foreach (ulong v in from)
            {
                to[offsets[(int)((v >> shift) & Mask)]++] = v;
            }
            inScratch = !inScratch;
        }
        if (inScratch)
        {
            tmp.CopyTo(keys);
        }
    }

    private static float[] Normalized(float[] x, int n, int dim)
    {
        var result = GC.AllocateUninitializedArray<float>(x.Length);
        for (int i = 0; i < n; i++)
        {
            var src = x.AsSpan(i * dim, dim);
            var dst = result.AsSpan(i * dim, dim);
            float norm = TensorPrimitives.Norm(src);
            if (norm > 0f)
            {
                TensorPrimitives.Divide(src, norm, dst);
            }
            else
            {
                dst.Clear();
            }
        }
        return result;
    }
}
