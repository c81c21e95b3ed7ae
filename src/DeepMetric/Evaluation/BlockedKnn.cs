using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepMetric.Evaluation;

/// <summary>Receives one query's neighbours as <c>(key &lt;&lt; 32) | reference index</c>, closest first (see <see cref="BlockedKnn.KeyToDistance"/>).</summary>
internal delegate void NeighbourSink(int query, ReadOnlySpan<ulong> neighbours);

/// <summary>
/// The one exact k-nearest-neighbour core behind <see cref="Knn"/>, <see cref="Search.FlatIndex"/>, the report's
/// neighbour grid and t-SNE's input affinities: distances in tiles of at most <see cref="MaxColumns"/> references by
/// GEMM (<see cref="GramTiles"/>; the formulation of exact search in Johnson, Douze &amp; Jégou, "Billion-scale
/// similarity search with GPUs", IEEE TBD 2019), each tile row turned into order-preserving integer keys and the
/// k smallest picked by <see cref="TopKSelector"/>; lists of successive column tiles are merged.
/// </summary>
/// <remarks>
/// Order is by (distance, reference index): ties go to the lower index, whatever the tiling, since the merge compares
/// the same 64-bit (key, index) words a single selection over the whole row would. NaN distances rank last (+∞).
/// </remarks>
internal static class BlockedKnn
{
    /// <summary>Default target size of one distance tile, in bytes.</summary>
    public const long TileBytes = 32 << 20;

    /// <summary>References per tile: rows up to this length are selected whole; longer rows are tiled and merged.</summary>
    public const int MaxColumns = 1 << 16;

    /// <summary>Queries per tile for these sizes (as many as keep the tile within <paramref name="tileBytes"/>, at least 1).</summary>
    public static int RowBlock(int queryCount, int columns, long tileBytes) =>
        (int)Math.Clamp(tileBytes / (4L * Math.Max(columns, 1)), 1, Math.Max(queryCount, 1));

    /// <summary>
    /// Hands <paramref name="sink"/> the <paramref name="k"/> nearest references of every query, queries in order.
    /// Operands are prepared by the caller (unit rows for <see cref="TileDistance.OneMinusDot"/>); nothing is validated
    /// beyond k, which must not exceed the references available to any query.
    /// </summary>
    /// <param name="queries">Queries, row-major, the first <paramref name="queryCount"/> rows used.</param>
    /// <param name="queryCount">Queries.</param>
    /// <param name="references">References, row-major, the first <paramref name="referenceCount"/> rows used.</param>
    /// <param name="referenceSquaredNorms">‖r‖² per reference for <see cref="TileDistance.SquaredL2"/>; ignored otherwise.</param>
    /// <param name="referenceCount">References.</param>
    /// <param name="dim">Vector length.</param>
    /// <param name="k">Neighbours per query; 0 calls <paramref name="sink"/> for no query.</param>
    /// <param name="distance">What the dot products become.</param>
    /// <param name="exclude">Maps a query to a reference it must not list (−1 for none); null for none at all.</param>
    /// <param name="sink">Gets each query's list (a view valid during the call).</param>
    /// <param name="tileBytes">Tile size (tests pass small ones to exercise several tiles).</param>
    /// <param name="maxColumns">References per tile (tests pass small ones to exercise the merge).</param>
    public static void Run(float[] queries, int queryCount, float[] references, float[]? referenceSquaredNorms, int referenceCount, int dim,
        int k, TileDistance distance, Func<int, int>? exclude, NeighbourSink sink, long tileBytes = TileBytes, int maxColumns = MaxColumns)
    {
        if (k == 0 || queryCount == 0)
        {
            return;
        }
        bool squared = distance == TileDistance.SquaredL2;
        if (squared && referenceSquaredNorms is null)
        {
            throw new ArgumentNullException(nameof(referenceSquaredNorms), "Squared L2 needs the references' squared norms.");
        }
        int columns = Math.Min(referenceCount, maxColumns);
        int rowBlock = RowBlock(queryCount, columns, tileBytes);
        bool whole = columns == referenceCount;
        var selector = new TopKSelector(columns);
        // Running lists of the row block's queries while their column tiles arrive (only when rows are tiled).
        var best = whole ? [] : new ulong[rowBlock * k];
        var bestCount = whole ? [] : new int[rowBlock];
        var merged = whole ? [] : new ulong[k];
        GramTiles.ForEach(queries, queryCount, references, referenceCount, dim, rowBlock, columns, upperTriangle: false, (r0, nr, c0, nc, dots) =>
        {
            var norms = squared ? referenceSquaredNorms.AsSpan(c0, nc) : default;
            for (int i = 0; i < nr; i++)
            {
                int query = r0 + i;
                var row = dots.Slice(i * nc, nc);
                var keys = MemoryMarshal.Cast<float, uint>(row);
                float offset = distance switch
                {
                    TileDistance.SquaredL2 => TensorPrimitives.SumOfSquares(queries.AsSpan(query * dim, dim)),
                    TileDistance.OneMinusDot => 1f,
                    _ => 0f,
                };
                Keys(row, norms, offset, clamp: distance != TileDistance.NegativeDot, keys);
                int skip = exclude is null ? -1 : exclude(query) - c0;
                if ((uint)skip >= (uint)nc)
                {
                    skip = -1;
                }
                var selected = selector.Smallest(keys, Math.Min(k, skip >= 0 ? nc - 1 : nc), skip);
                if (whole)
                {
                    sink(query, selected);
                    continue;
                }
                var list = best.AsSpan(i * k, k);
                int count = c0 == 0 ? 0 : bestCount[i];
                count = Merge(list[..count], selected, (uint)c0, merged);
                merged.AsSpan(0, count).CopyTo(list);
                bestCount[i] = count;
                if (c0 + nc == referenceCount)
                {
                    sink(query, list[..count]);
                }
            }
        });
    }

    /// <summary>The squared norms of the first <paramref name="n"/> rows.</summary>
    public static float[] SquaredNorms(ReadOnlySpan<float> x, int n, int dim)
    {
        var result = new float[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = TensorPrimitives.SumOfSquares(x.Slice(i * dim, dim));
        }
        return result;
    }

    /// <summary>The distance a neighbour word of <see cref="NeighbourSink"/> carries.</summary>
    public static float KeyToDistance(ulong neighbour)
    {
        uint key = (uint)(neighbour >> 32);
        // Inverse of the order-preserving map in Keys: high bit set ⇒ a non-negative float.
        return BitConverter.UInt32BitsToSingle((key & 0x8000_0000u) != 0 ? key & 0x7FFF_FFFFu : ~key);
    }

    // Merges the sorted running list with a tile's sorted list (local indices + columnStart) into output, keeping at
    // most output.Length; returns the count. Both are ascending in (key, index), so the merge is their common order.
    private static int Merge(ReadOnlySpan<ulong> running, ReadOnlySpan<ulong> tile, uint columnStart, Span<ulong> output)
    {
        int a = 0, b = 0, o = 0;
        while (o < output.Length && (a < running.Length || b < tile.Length))
        {
            ulong fromTile = b < tile.Length ? tile[b] + columnStart : ulong.MaxValue;
            if (a < running.Length && running[a] < fromTile)
            {
                output[o++] = running[a++];
            }
            else
            {
                output[o++] = fromTile;
                b++;
            }
        }
        return o;
    }

    /// <summary>
    /// Turns a row of dot products into keys in place: d = (−2·dot + ‖r‖²) + <paramref name="offset"/> (squared L2,
    /// <paramref name="refNorms"/> non-empty, offset ‖q‖²) or d = offset − dot; clamped at 0 when asked; NaN becomes +∞.
    /// The key is the float's bits with the sign bit flipped (all bits for negatives), so keys order as the floats do.
    /// </summary>
    internal static void Keys(Span<float> dots, ReadOnlySpan<float> refNorms, float offset, bool clamp, Span<uint> keys)
    {
        bool euclidean = !refNorms.IsEmpty;
        int n = dots.Length;
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var floor = Vector256.Create(clamp ? 0f : float.NegativeInfinity);
            var inf = Vector256.Create(float.PositiveInfinity);
            var minusTwo = Vector256.Create(-2f);
            var off = Vector256.Create(offset);
            var signBit = Vector256.Create(0x8000_0000u);
            ref float pd = ref MemoryMarshal.GetReference(dots);
            ref float pn = ref MemoryMarshal.GetReference(refNorms);
            ref uint pk = ref MemoryMarshal.GetReference(keys);
            for (; j <= n - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var dot = Vector256.LoadUnsafe(ref pd, (nuint)j);
                // −2·dot is exact, so this equals the fused and the unfused forms alike.
                var d = euclidean ? ((dot * minusTwo) + Vector256.LoadUnsafe(ref pn, (nuint)j)) + off : off - dot;
                // max with the floor keeps −∞ < d and turns −0 into +0 (0 > −0 is false, so +0 floor wins only when clamping).
                var v = Vector256.ConditionalSelect(Vector256.GreaterThan(d, floor), d, floor);
                v = Vector256.ConditionalSelect(Vector256.Equals(d, d), v, inf) + Vector256<float>.Zero;
                var bits = v.AsUInt32();
                var flip = Vector256.ShiftRightArithmetic(bits.AsInt32(), 31).AsUInt32() | signBit;
                (bits ^ flip).StoreUnsafe(ref pk, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            float d = euclidean ? ((dots[j] * -2f) + refNorms[j]) + offset : offset - dots[j];
            float v = float.IsNaN(d) ? float.PositiveInfinity : (clamp && !(d > 0f)) ? 0f : d + 0f;
            uint bits = BitConverter.SingleToUInt32Bits(v);
            keys[j] = bits ^ ((uint)((int)bits >> 31) | 0x8000_0000u);
        }
    }
}
