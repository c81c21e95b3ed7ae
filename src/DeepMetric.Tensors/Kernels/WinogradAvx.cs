using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static DeepMetric.Tensors.AvxLanes;

namespace DeepMetric.Tensors;

/// <summary>
/// AVX2 versions of the <see cref="Winograd"/> tile transforms, vectorised over 8 neighbouring tiles of a tile row.
/// Tile tj reads padded columns 2tj … 2tj + 3, so each image plane is first split into its even and odd columns
/// (E[k] = column 2k, O[k] = column 2k + 1): the four columns of tiles k … k + 7 are then the unit-stride vectors
/// E[k], O[k], E[k + 1], O[k + 1]. Partial blocks at the end of a tile row use masked loads and stores, so no
/// lane outside the tile row is read or written.
/// </summary>
internal static unsafe class WinogradAvx
{
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>Floats per row of a split (even or odd) plane: the tile columns plus one, plus a vector of slack.</summary>
    private static int SplitStride(int tw) => ((tw + 7) & ~7) + 8;

    /// <summary>Scratch floats needed by <see cref="TransformInput"/> and <see cref="InputGradient"/>.</summary>
    public static int PlaneScratch(in ConvGeometry g) => 2 * Winograd.PlaneH(g) * SplitStride(Winograd.TilesW(g));

    /// <summary>
    /// <see cref="Winograd.TransformWeights"/> for pairs [k0, k1) eight at a time (the same operations as the scalar
    /// code, lane by lane); returns the first pair left for the scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int TransformWeights(ReadOnlySpan<float> w, int oc, Span<float> u, int k0, int k1)
    {
        var half = Vector256.Create(0.5f);
        var idx = Vector256.Create(0, 9, 18, 27, 36, 45, 54, 63);
        int k = k0;
        fixed (float* pw = w, pu = u)
        {
            for (; k + 8 <= k1; k += 8)
            {
                float* g = pw + (k * 9);
                // Column j of G g for the eight kernels: rows g0, (g0+g1+g2)/2, (g0−g1+g2)/2, g2.
                Column(g, idx, half, out var a0, out var b0, out var c0, out var d0);
                Column(g + 1, idx, half, out var a1, out var b1, out var c1, out var d1);
                Column(g + 2, idx, half, out var a2, out var b2, out var c2, out var d2);
                WeightRow(pu + k, 0, oc, a0, a1, a2, half);
                WeightRow(pu + k, 4 * oc, oc, b0, b1, b2, half);
                WeightRow(pu + k, 8 * oc, oc, c0, c1, c2, half);
                WeightRow(pu + k, 12 * oc, oc, d0, d1, d2, half);
            }
        }
        return k;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column(float* g, Vector256<int> idx, Vector256<float> half,
        out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2, out Vector256<float> t3)
    {
        var g0 = Avx2.GatherVector256(g, idx, 4);
        var g1 = Avx2.GatherVector256(g + 3, idx, 4);
        var g2 = Avx2.GatherVector256(g + 6, idx, 4);
        t0 = g0;
        t1 = half * (g0 + g1 + g2);
        t2 = half * (g0 - g1 + g2);
        t3 = g2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightRow(float* p, int at, int oc, Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> half)
    {
        Avx.Store(p + at, a);
        Avx.Store(p + at + oc, half * (a + b + c));
        Avx.Store(p + at + (2 * oc), half * (a - b + c));
        Avx.Store(p + at + (3 * oc), c);
    }

    /// <summary>
    /// <see cref="Winograd.WeightGradient"/> for pairs [k0, k1) eight at a time (the same operations as the scalar code,
    /// lane by lane); returns the first pair left for the scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int WeightGradient(ReadOnlySpan<float> du, int oc, Span<float> dw, int k0, int k1)
    {
        var half = Vector256.Create(0.5f);
        float* g = stackalloc float[72];
        int k = k0;
        fixed (float* pu = du, pw = dw)
        {
            for (; k + 8 <= k1; k += 8)
            {
                float* x = pu + k;
                // t = Gᵀ dU (3×4), column by column: rows x0 + (x1+x2)/2, (x1−x2)/2, (x1+x2)/2 + x3.
                GtColumn(x, oc, half, out var a0, out var b0, out var c0);
                GtColumn(x + oc, oc, half, out var a1, out var b1, out var c1);
                GtColumn(x + (2 * oc), oc, half, out var a2, out var b2, out var c2);
                GtColumn(x + (3 * oc), oc, half, out var a3, out var b3, out var c3);
                // (Gᵀ dU) G along each row, into g[j·8 + lane] for output j = 3i + col.
                GtRow(g, a0, a1, a2, a3, half);
                GtRow(g + 24, b0, b1, b2, b3, half);
                GtRow(g + 48, c0, c1, c2, c3, half);
                // Pair k + l's nine outputs are lane l of the nine vectors: the first eight as an 8×8 transpose.
                float* d = pw + (k * 9);
                Transpose8x8(g, 8, d, 9);
                for (int l = 0; l < 8; l++)
                {
                    d[(l * 9) + 8] = g[64 + l];
                }
            }
        }
        return k;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GtColumn(float* x, int oc, Vector256<float> half, out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2)
    {
        var x0 = Avx.LoadVector256(x);
        var x1 = Avx.LoadVector256(x + (4 * oc));
        var x2 = Avx.LoadVector256(x + (8 * oc));
        var x3 = Avx.LoadVector256(x + (12 * oc));
        var h = half * (x1 + x2);
        r0 = x0 + h;
        r1 = half * (x1 - x2);
        r2 = h + x3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GtRow(float* g, Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3, Vector256<float> half)
    {
        var h = half * (x1 + x2);
        Avx.Store(g, x0 + h);
        Avx.Store(g + 8, half * (x1 - x2));
        Avx.Store(g + 16, h + x3);
    }

    /// <summary>See <see cref="Winograd.TransformInput"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformInput(ReadOnlySpan<float> x, int count, in ConvGeometry g, Span<float> v, Span<float> scratch, int ti0, int ti1)
    {
        int tw = Winograd.TilesW(g), hq = Winograd.PlaneH(g), c = g.C, h = g.H, w = g.W, pad = g.Padding;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ct = c * tAll, ss = SplitStride(tw), half = hq * ss;
        int h0 = Math.Max(0, (2 * ti0) - pad), h1 = Math.Min(h, (2 * ti1) + 2 - pad);
        scratch[..(2 * half)].Clear();
        fixed (float* px = x, pv = v, ps = scratch)
        {
            float* pe = ps, po = ps + half;
            SplitColumns(pe, po, pad, out float* first, out float* second);
            for (int b = 0; b < count; b++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    // Split the plane into even and odd padded columns; the zero border is never written (but zeros).
                    float* src = px + (((b * c) + ch) * g.PlaneIn);
                    for (int r = h0; r < h1; r++)
                    {
                        int at = (r + pad) * ss;
                        Deinterleave(src + (r * w), w, first + at, second + at);
                    }
                    float* dst = pv + (ch * tAll) + (b * tPer);
                    for (int ti = ti0; ti < ti1; ti++)
                    {
                        for (int k = 0; k < tw; k += 8)
                        {
                            int lanes = tw - k;
                            var mask = Mask(lanes);
                            float* e = pe + (2 * ti * ss) + k, o = po + (2 * ti * ss) + k;
                            // Bᵀ down the four rows, for each of the columns E[k], O[k], E[k + 1], O[k + 1].
                            Bt(e, ss, out var e0, out var e1, out var e2, out var e3);
                            Bt(o, ss, out var o0, out var o1, out var o2, out var o3);
                            Bt(e + 1, ss, out var f0, out var f1, out var f2, out var f3);
                            Bt(o + 1, ss, out var q0, out var q1, out var q2, out var q3);
                            float* out0 = dst + ((ti - ti0) * tw) + k;
                            BtStore(out0, ct, e0, o0, f0, q0, lanes, mask);
                            BtStore(out0 + (4 * ct), ct, e1, o1, f1, q1, lanes, mask);
                            BtStore(out0 + (8 * ct), ct, e2, o2, f2, q2, lanes, mask);
                            BtStore(out0 + (12 * ct), ct, e3, o3, f3, q3, lanes, mask);
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt(float* p, int ld, out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3)
    {
        var x0 = Avx.LoadVector256(p);
        var x1 = Avx.LoadVector256(p + ld);
        var x2 = Avx.LoadVector256(p + (2 * ld));
        var x3 = Avx.LoadVector256(p + (3 * ld));
        r0 = x0 - x2;
        r1 = x1 + x2;
        r2 = x2 - x1;
        r3 = x1 - x3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BtStore(float* p, int stride, Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3,
        int lanes, Vector256<float> mask)
    {
        Store(p, x0 - x2, lanes, mask);
        Store(p + stride, x1 + x2, lanes, mask);
        Store(p + (2 * stride), x2 - x1, lanes, mask);
        Store(p + (3 * stride), x1 - x3, lanes, mask);
    }

    /// <summary>See <see cref="Winograd.InputGradient"/> (the band's halo rows start from what dx holds when ti0 &gt; 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(ReadOnlySpan<float> dv, int count, in ConvGeometry g, Span<float> dx, Span<float> scratch, int ti0, int ti1)
    {
        int tw = Winograd.TilesW(g), c = g.C, h = g.H, w = g.W, pad = g.Padding;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ct = c * tAll, ss = SplitStride(tw);
        // The band's padded rows [2·ti0, 2·ti1 + 2) in split planes; local row 0 = padded row 2·ti0.
        int rows = (2 * (ti1 - ti0)) + 2, r0 = 2 * ti0, half = rows * ss;
        int hIn0 = Math.Max(0, r0 - pad), hOut1 = Math.Min(h, r0 + rows - pad), hIn1 = ti0 > 0 ? Math.Min(h, r0 + 2 - pad) : hIn0;
        var planes = scratch[..(2 * half)];
        fixed (float* pv = dv, pdx = dx, ps = scratch)
        {
            float* pe = ps, po = ps + half;
            SplitColumns(pe, po, pad, out float* first, out float* second);
            for (int b = 0; b < count; b++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    planes.Clear();
                    float* dst = pdx + (((b * c) + ch) * g.PlaneIn);
                    // The halo rows' partial sums from the band above (none for the first band).
                    for (int r = hIn0; r < hIn1; r++)
                    {
                        int at = (r + pad - r0) * ss;
                        Deinterleave(dst + (r * w), w, first + at, second + at);
                    }
                    float* src = pv + (ch * tAll) + (b * tPer);
                    for (int ti = 0; ti < ti1 - ti0; ti++)
                    {
                        for (int k = 0; k < tw; k += 8)
                        {
                            int lanes = tw - k;
                            var mask = Mask(lanes);
                            float* s = src + (ti * tw) + k;
                            // B (·) Bᵀ: along each transformed row first, then down the columns into the split planes.
                            BRow(s, ct, lanes, mask, out var a00, out var a01, out var a02, out var a03);
                            BRow(s + (4 * ct), ct, lanes, mask, out var a10, out var a11, out var a12, out var a13);
                            BRow(s + (8 * ct), ct, lanes, mask, out var a20, out var a21, out var a22, out var a23);
                            BRow(s + (12 * ct), ct, lanes, mask, out var a30, out var a31, out var a32, out var a33);
                            float* e = pe + (2 * ti * ss) + k, o = po + (2 * ti * ss) + k;
                            BAdd(e, ss, a00, a10, a20, a30);
                            BAdd(o, ss, a01, a11, a21, a31);
                            BAdd(e + 1, ss, a02, a12, a22, a32);
                            BAdd(o + 1, ss, a03, a13, a23, a33);
                        }
                    }
                    for (int r = hIn0; r < hOut1; r++)
                    {
                        int at = (r + pad - r0) * ss;
                        Interleave(dst + (r * w), first + at, second + at, w);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Where image column j of a split plane row lives: padded column j + pad, so with even padding the image's even
    /// columns are in E and its odd ones in O, with odd padding the other way round; image columns 2k and 2k + 1 are
    /// first[k] and second[k].
    /// </summary>
    private static void SplitColumns(float* pe, float* po, int pad, out float* first, out float* second)
    {
        first = (pad & 1) == 0 ? pe + (pad >> 1) : po + (pad >> 1);
        second = (pad & 1) == 0 ? po + (pad >> 1) : pe + ((pad + 1) >> 1);
    }

    /// <summary>
    /// first[k] = row[2k], second[k] = row[2k + 1] for the first <paramref name="cols"/> floats of row, 16 at a time.
    /// The last block also writes zeros to the split columns past the row (zero padding or slack, never read back as
    /// image data): a split row has a vector of slack past its last tile column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Deinterleave(float* row, int cols, float* first, float* second)
    {
        for (int col = 0; col < cols; col += 16)
        {
            LoadDeinterleaved(row + col, Math.Min(16, cols - col), out var even, out var odd);
            Avx.Store(first + (col >> 1), even);
            Avx.Store(second + (col >> 1), odd);
        }
    }

    /// <summary>row[2k] = first[k], row[2k + 1] = second[k] for the first <paramref name="cols"/> floats of row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(float* row, float* first, float* second, int cols)
    {
        int col = 0;
        for (; col + 16 <= cols; col += 16)
        {
            StoreInterleaved(row + col, Avx.LoadVector256(first + (col >> 1)), Avx.LoadVector256(second + (col >> 1)), 16);
        }
        if (col < cols)
        {
            // The split rows have a vector of slack past the last column, so these loads stay inside the scratch.
            StoreInterleaved(row + col, Avx.LoadVector256(first + (col >> 1)), Avx.LoadVector256(second + (col >> 1)), cols - col);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BRow(float* p, int stride, int lanes, Vector256<float> mask,
        out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3)
    {
        var x0 = Load(p, lanes, mask);
        var x1 = Load(p + stride, lanes, mask);
        var x2 = Load(p + (2 * stride), lanes, mask);
        var x3 = Load(p + (3 * stride), lanes, mask);
        r0 = x0;
        r1 = x1 - x2 + x3;
        r2 = x1 + x2 - x0;
        r3 = -x3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BAdd(float* p, int ld, Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3)
    {
        Avx.Store(p, Avx.LoadVector256(p) + x0);
        Avx.Store(p + ld, Avx.LoadVector256(p + ld) + (x1 - x2 + x3));
        Avx.Store(p + (2 * ld), Avx.LoadVector256(p + (2 * ld)) + (x1 + x2 - x0));
        Avx.Store(p + (3 * ld), Avx.LoadVector256(p + (3 * ld)) - x3);
    }

    /// <summary>
    /// dst[j·rows + i] = src[i·cols + j]: the transpose of a row-major rows×cols matrix, 8×8 blocks in registers and
    /// the ragged edges element by element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        fixed (float* ps = src, pd = dst)
        {
            int i = 0;
            for (; i + 8 <= rows; i += 8)
            {
                int j = 0;
                for (; j + 8 <= cols; j += 8)
                {
                    Transpose8x8(ps + (i * cols) + j, cols, pd + (j * rows) + i, rows);
                }
                for (; j < cols; j++)
                {
                    for (int k = 0; k < 8; k++)
                    {
                        pd[(j * rows) + i + k] = ps[((i + k) * cols) + j];
                    }
                }
            }
            for (; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    pd[(j * rows) + i] = ps[(i * cols) + j];
                }
            }
        }
    }

    /// <summary>See <see cref="Winograd.TransformOutput"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformOutput(ReadOnlySpan<float> m, int count, int o, in ConvGeometry g, ReadOnlySpan<float> bias, Span<float> y, int ti0, int ti1)
    {
        int tw = Winograd.TilesW(g), ho = g.Ho, wo = g.Wo;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        fixed (float* pm = m, py = y)
        {
            for (int b = 0; b < count; b++)
            {
                for (int oc = 0; oc < o; oc++)
                {
                    var bv = Vector256.Create(bias.IsEmpty ? 0f : bias[oc]);
                    float* src = pm + (oc * tAll) + (b * tPer);
                    float* dst = py + (((b * o) + oc) * plane);
                    for (int ti = ti0; ti < ti1; ti++)
                    {
                        bool row2 = (2 * ti) + 1 < ho;
                        for (int k = 0; k < tw; k += 8)
                        {
                            int lanes = tw - k;
                            var mask = Mask(lanes);
                            float* t = src + ((ti - ti0) * tw) + k;
                            At(t, ot, lanes, mask, out var s0, out var s4);
                            At(t + ot, ot, lanes, mask, out var s1, out var s5);
                            At(t + (2 * ot), ot, lanes, mask, out var s2, out var s6);
                            At(t + (3 * ot), ot, lanes, mask, out var s3, out var s7);
                            int outCols = Math.Min(16, wo - (2 * k));
                            float* row = dst + (2 * ti * wo) + (2 * k);
                            StoreInterleaved(row, s0 + s1 + s2 + bv, s1 - s2 - s3 + bv, outCols);
                            if (row2)
                            {
                                StoreInterleaved(row + wo, s4 + s5 + s6 + bv, s5 - s6 - s7 + bv, outCols);
                            }
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At(float* p, int ot, int lanes, Vector256<float> mask, out Vector256<float> top, out Vector256<float> bottom)
    {
        var a0 = Load(p, lanes, mask);
        var a1 = Load(p + (4 * ot), lanes, mask);
        var a2 = Load(p + (8 * ot), lanes, mask);
        var a3 = Load(p + (12 * ot), lanes, mask);
        top = a0 + a1 + a2;
        bottom = a1 - a2 - a3;
    }

    /// <summary>Writes even[0], odd[0], even[1], odd[1], … — the first <paramref name="cols"/> of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreInterleaved(float* p, Vector256<float> even, Vector256<float> odd, int cols)
    {
        var lo = Avx.UnpackLow(even, odd);
        var hi = Avx.UnpackHigh(even, odd);
        var first = Avx.Permute2x128(lo, hi, 0x20);
        var second = Avx.Permute2x128(lo, hi, 0x31);
        Store(p, first, cols, Mask(cols));
        if (cols > 8)
        {
            Store(p + 8, second, cols - 8, Mask(cols - 8));
        }
    }

    /// <summary>See <see cref="Winograd.OutputGradient"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradient(ReadOnlySpan<float> dy, int count, int o, in ConvGeometry g, Span<float> dm, Span<double> biasSum, int ti0, int ti1)
    {
        int tw = Winograd.TilesW(g), ho = g.Ho, wo = g.Wo;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        fixed (float* pm = dm, py = dy)
        {
            for (int b = 0; b < count; b++)
            {
                for (int oc = 0; oc < o; oc++)
                {
                    float* dst = pm + (oc * tAll) + (b * tPer);
                    float* src = py + (((b * o) + oc) * plane);
                    var sum = Vector256<float>.Zero;
                    for (int ti = ti0; ti < ti1; ti++)
                    {
                        bool row2 = (2 * ti) + 1 < ho;
                        for (int k = 0; k < tw; k += 8)
                        {
                            int lanes = tw - k;
                            var mask = Mask(lanes);
                            int inCols = Math.Min(16, wo - (2 * k));
                            float* row = src + (2 * ti * wo) + (2 * k);
                            LoadDeinterleaved(row, inCols, out var y00, out var y01);
                            Vector256<float> y10 = default, y11 = default;
                            if (row2)
                            {
                                LoadDeinterleaved(row + wo, inCols, out y10, out y11);
                            }
                            // A dY Aᵀ: rows y0, y0 + y1, y0 − y1, −y1, each expanded to [a, a + b, a − b, −b].
                            sum += (y00 + y01) + (y10 + y11);
                            float* t = dst + ((ti - ti0) * tw) + k;
                            Store4(t, ot, y00, y01, lanes, mask);
                            Store4(t + (4 * ot), ot, y00 + y10, y01 + y11, lanes, mask);
                            Store4(t + (8 * ot), ot, y00 - y10, y01 - y11, lanes, mask);
                            Store4(t + (12 * ot), ot, -y10, -y11, lanes, mask);
                        }
                    }
                    if (!biasSum.IsEmpty)
                    {
                        biasSum[oc] += Vector256.Sum(sum);
                    }
                }
            }
        }
    }

    /// <summary>Reads the first <paramref name="cols"/> floats (zeros past them) and splits them into even and odd positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadDeinterleaved(float* p, int cols, out Vector256<float> even, out Vector256<float> odd)
    {
        var first = Load(p, cols, Mask(cols));
        var second = cols > 8 ? Load(p + 8, cols - 8, Mask(cols - 8)) : Vector256<float>.Zero;
        // Each vector becomes (its 4 evens, its 4 odds); the halves of the two vectors then pair up.
        var idx = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var a = Avx2.PermuteVar8x32(first, idx);
        var b = Avx2.PermuteVar8x32(second, idx);
        even = Avx.Permute2x128(a, b, 0x20);
        odd = Avx.Permute2x128(a, b, 0x31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* p, int stride, Vector256<float> a, Vector256<float> b, int lanes, Vector256<float> mask)
    {
        Store(p, a, lanes, mask);
        Store(p + stride, a + b, lanes, mask);
        Store(p + (2 * stride), a - b, lanes, mask);
        Store(p + (3 * stride), -b, lanes, mask);
    }
}
