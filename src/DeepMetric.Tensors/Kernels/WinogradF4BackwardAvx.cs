using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static DeepMetric.Tensors.AvxLanes;

namespace DeepMetric.Tensors;

/// <summary>
/// AVX2 versions of the <see cref="WinogradF4Backward"/> transforms, vectorised over 8 neighbouring tiles of a tile row
/// (or, for the weight gradient, 8 neighbouring (o, c) pairs). Tile tj covers image columns 4tj … 4tj + 3, so 8 tiles'
/// columns are 32 contiguous floats: a 4×8 transpose in registers turns them into the four vectors of column j of each
/// tile and back. The float operations per element are the scalar code's, in the same order.
/// </summary>
internal static unsafe class WinogradF4BackwardAvx
{
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>
    /// Reads the first <paramref name="cols"/> of 32 floats (zeros past them) as 8 tiles of 4 and returns column j of
    /// every tile: y_j[l] = p[4l + j].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadTiles(float* p, int cols, out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3)
    {
        SplitTiles(Load(p, cols), Load(p + 8, cols - 8), Load(p + 16, cols - 16), Load(p + 24, cols - 24), out y0, out y1, out y2, out y3);
    }

    /// <summary>y_j[2k + h] = element 4h + j of v_k: four vectors of two 4-wide tiles each, as column j of each of the 8 tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitTiles(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3,
        out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3)
    {
        var w0 = Avx.Permute2x128(v0, v2, 0x20); // tiles 0 | 4
        var w1 = Avx.Permute2x128(v0, v2, 0x31); // tiles 1 | 5
        var w2 = Avx.Permute2x128(v1, v3, 0x20); // tiles 2 | 6
        var w3 = Avx.Permute2x128(v1, v3, 0x31); // tiles 3 | 7
        var a = Avx.UnpackLow(w0, w1);
        var b = Avx.UnpackLow(w2, w3);
        var c = Avx.UnpackHigh(w0, w1);
        var d = Avx.UnpackHigh(w2, w3);
        y0 = Avx.Shuffle(a, b, 0x44);
        y1 = Avx.Shuffle(a, b, 0xEE);
        y2 = Avx.Shuffle(c, d, 0x44);
        y3 = Avx.Shuffle(c, d, 0xEE);
    }

    /// <summary>The inverse of <see cref="LoadTiles"/>: z_j[l] goes to 4l + j; returns the four row vectors (tiles 0–1, 2–3, 4–5, 6–7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleaveTiles(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3,
        out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3)
    {
        var a = Avx.UnpackLow(z0, z1);   // t0e0 t0e1 t1e0 t1e1 | t4…t5
        var b = Avx.UnpackLow(z2, z3);   // t0e2 t0e3 t1e2 t1e3 | …
        var c = Avx.UnpackHigh(z0, z1);  // t2, t3 | t6, t7
        var d = Avx.UnpackHigh(z2, z3);
        var t0 = Avx.Shuffle(a, b, 0x44); // tile 0 | tile 4
        var t1 = Avx.Shuffle(a, b, 0xEE); // tile 1 | tile 5
        var t2 = Avx.Shuffle(c, d, 0x44); // tile 2 | tile 6
        var t3 = Avx.Shuffle(c, d, 0xEE); // tile 3 | tile 7
        r0 = Avx.Permute2x128(t0, t1, 0x20);
        r1 = Avx.Permute2x128(t2, t3, 0x20);
        r2 = Avx.Permute2x128(t0, t1, 0x31);
        r3 = Avx.Permute2x128(t2, t3, 0x31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void A(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, Vector256<float>* a)
    {
        var four = Vector256.Create(4f);
        var p = y0 + y2;
        var q = y1 + y3;
        var p2 = y0 + (four * y2);
        var q2 = (Vector256.Create(2f) * y1) + (Vector256.Create(8f) * y3);
        a[0] = y0;
        a[1] = p + q;
        a[2] = p - q;
        a[3] = p2 + q2;
        a[4] = p2 - q2;
        a[5] = y3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void B(Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3, Vector256<float> x4, Vector256<float> x5,
        Vector256<float>* b, int stride)
    {
        var four = Vector256.Create(4f);
        var two = Vector256.Create(2f);
        var five = Vector256.Create(5f);
        var d12 = x1 - x2;
        var d43 = x4 - x3;
        var s12 = x1 + x2;
        var s34 = x3 + x4;
        b[0] = four * x0;
        b[stride] = (four * (x5 - d12)) + (two * d43);
        b[2 * stride] = -(((five * x0) + (four * s12)) + s34);
        b[3 * stride] = (d12 - (two * d43)) - (five * x5);
        b[4 * stride] = (x0 + s12) + s34;
        b[5 * stride] = x5;
    }

    /// <summary>See <see cref="WinogradF4Backward.OutputGradient"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradient(ReadOnlySpan<float> dy, int count, int o, in ConvGeometry g, Span<float> dm, Span<double> biasSum, int ti0, int ti1)
    {
        int tw = WinogradF4Backward.TilesW(g), ho = g.Ho, wo = g.Wo;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        var r = stackalloc Vector256<float>[24];
        var m = stackalloc Vector256<float>[6];
        if ((tw & 1) == 0 && tw < 8)
        {
            OutputGradientPairs(dy, count, o, g, dm, biasSum, ti0, ti1);
            return;
        }
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
                        for (int k = 0; k < tw; k += 8)
                        {
                            int lanes = Math.Min(8, tw - k), cols = wo - (4 * k);
                            var mask = Mask(lanes);
                            for (int i = 0; i < 4; i++)
                            {
                                int row = (4 * ti) + i;
                                Vector256<float> y0 = default, y1 = default, y2 = default, y3 = default;
                                if (row < ho)
                                {
                                    LoadTiles(src + (row * wo) + (4 * k), cols, out y0, out y1, out y2, out y3);
                                    sum += (y0 + y1) + (y2 + y3);
                                }
                                A(y0, y1, y2, y3, r + (6 * i));
                            }
                            float* t = dst + ((ti - ti0) * tw) + k;
                            for (int s = 0; s < 6; s++)
                            {
                                A(r[s], r[6 + s], r[12 + s], r[18 + s], m);
                                Store(t + (s * ot), m[0], lanes, mask);
                                Store(t + ((6 + s) * ot), m[1], lanes, mask);
                                Store(t + ((12 + s) * ot), m[2], lanes, mask);
                                Store(t + ((18 + s) * ot), m[3], lanes, mask);
                                Store(t + ((24 + s) * ot), m[4], lanes, mask);
                                Store(t + ((30 + s) * ot), m[5], lanes, mask);
                            }
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

    /// <summary>
    /// <see cref="OutputGradient"/> for an even number of tile columns below 8 (7×7 and 14×14 outputs: 2 and 4 tiles a
    /// row, which would fill a quarter or half of each vector): 8 consecutive tiles t of the unit at a time, across tile
    /// rows and images, as four pairs of horizontally neighbouring tiles (an even column count keeps a pair in one row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OutputGradientPairs(ReadOnlySpan<float> dy, int count, int o, in ConvGeometry g, Span<float> dm, Span<double> biasSum, int ti0, int ti1)
    {
        int tw = WinogradF4Backward.TilesW(g), ho = g.Ho, wo = g.Wo;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        var r = stackalloc Vector256<float>[24];
        var m = stackalloc Vector256<float>[6];
        // Per pair of a block: its offset in an output channel's planes, its valid columns (0: past the unit) and rows.
        var at = stackalloc int[4];
        var cols = stackalloc int[4];
        var rowsIn = stackalloc int[4];
        fixed (float* pm = dm, py = dy)
        {
            for (int t0 = 0; t0 < tAll; t0 += 8)
            {
                int lanes = Math.Min(8, tAll - t0);
                var mask = Mask(lanes);
                for (int k = 0; k < 4; k++)
                {
                    int t = t0 + (2 * k);
                    if (t >= tAll)
                    {
                        at[k] = 0;
                        cols[k] = 0;
                        rowsIn[k] = 0;
                        continue;
                    }
                    int img = t / tPer, rem = t - (img * tPer), ti = ti0 + (rem / tw), tj = rem % tw;
                    at[k] = (img * o * plane) + (4 * ti * wo) + (4 * tj);
                    cols[k] = Math.Min(8, wo - (4 * tj));
                    rowsIn[k] = Math.Min(4, ho - (4 * ti));
                }
                for (int oc = 0; oc < o; oc++)
                {
                    float* src = py + (oc * plane);
                    var sum = Vector256<float>.Zero;
                    for (int i = 0; i < 4; i++)
                    {
                        var v0 = i < rowsIn[0] ? Load(src + at[0] + (i * wo), cols[0]) : Vector256<float>.Zero;
                        var v1 = i < rowsIn[1] ? Load(src + at[1] + (i * wo), cols[1]) : Vector256<float>.Zero;
                        var v2 = i < rowsIn[2] ? Load(src + at[2] + (i * wo), cols[2]) : Vector256<float>.Zero;
                        var v3 = i < rowsIn[3] ? Load(src + at[3] + (i * wo), cols[3]) : Vector256<float>.Zero;
                        sum += (v0 + v1) + (v2 + v3);
                        SplitTiles(v0, v1, v2, v3, out var y0, out var y1, out var y2, out var y3);
                        A(y0, y1, y2, y3, r + (6 * i));
                    }
                    if (!biasSum.IsEmpty)
                    {
                        biasSum[oc] += Vector256.Sum(sum);
                    }
                    float* dst = pm + (oc * tAll) + t0;
                    for (int s = 0; s < 6; s++)
                    {
                        A(r[s], r[6 + s], r[12 + s], r[18 + s], m);
                        Store(dst + (s * ot), m[0], lanes, mask);
                        Store(dst + ((6 + s) * ot), m[1], lanes, mask);
                        Store(dst + ((12 + s) * ot), m[2], lanes, mask);
                        Store(dst + ((18 + s) * ot), m[3], lanes, mask);
                        Store(dst + ((24 + s) * ot), m[4], lanes, mask);
                        Store(dst + ((30 + s) * ot), m[5], lanes, mask);
                    }
                }
            }
        }
    }

    /// <summary>See <see cref="WinogradF4Backward.InputGradient"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(ReadOnlySpan<float> dv, int count, in ConvGeometry g, Span<float> dx, Span<float> plane, int ti0, int ti1)
    {
        int tw = WinogradF4Backward.TilesW(g), c = g.C, ps = WinogradF4Backward.PlaneStride(g);
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ct = c * tAll;
        int rows = (4 * (ti1 - ti0)) + 2, r0 = 4 * ti0;
        var pl = plane[..(rows * ps)];
        var q = stackalloc Vector256<float>[36];
        var p = stackalloc Vector256<float>[36];
        // Per tile row i: the previous block's P4 and P5 shifted one lane up (lane 0 holds its last tile's columns).
        var carry = stackalloc Vector256<float>[12];
        // Lane l takes lane l − 1: column j of tile l gets the right-hand column j + 4 of tile l − 1.
        var shift = Vector256.Create(7, 0, 1, 2, 3, 4, 5, 6);
        fixed (float* pv = dv, pp = plane)
        {
            for (int b = 0; b < count; b++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    pl.Clear();
                    var dst = dx.Slice(((b * c) + ch) * g.PlaneIn, g.PlaneIn);
                    WinogradF4Backward.LoadHalo(dst, g, pl, ps, r0, ti0);
                    float* src = pv + (ch * tAll) + (b * tPer);
                    for (int ti = 0; ti < ti1 - ti0; ti++)
                    {
                        for (int i = 0; i < 12; i++)
                        {
                            carry[i] = Vector256<float>.Zero;
                        }
                        int lanes = 8;
                        for (int k = 0; k < tw; k += 8)
                        {
                            lanes = Math.Min(8, tw - k);
                            float* s = src + (ti * tw) + k;
                            for (int rr = 0; rr < 6; rr++)
                            {
                                float* sr = s + (6 * rr * ct);
                                B(Load(sr, lanes), Load(sr + ct, lanes), Load(sr + (2 * ct), lanes), Load(sr + (3 * ct), lanes),
                                    Load(sr + (4 * ct), lanes), Load(sr + (5 * ct), lanes), q + (6 * rr), 1);
                            }
                            for (int j = 0; j < 6; j++)
                            {
                                B(q[j], q[6 + j], q[12 + j], q[18 + j], q[24 + j], q[30 + j], p + j, 6);
                            }
                            int cols = 4 * lanes;
                            for (int i = 0; i < 6; i++)
                            {
                                var pi = p + (6 * i);
                                var s4 = Avx2.PermuteVar8x32(pi[4], shift);
                                var s5 = Avx2.PermuteVar8x32(pi[5], shift);
                                var c4 = Avx.Blend(s4, carry[2 * i], 1);
                                var c5 = Avx.Blend(s5, carry[(2 * i) + 1], 1);
                                carry[2 * i] = s4;
                                carry[(2 * i) + 1] = s5;
                                InterleaveTiles(pi[0] + c4, pi[1] + c5, pi[2], pi[3], out var o0, out var o1, out var o2, out var o3);
                                float* row = pp + (((4 * ti) + i) * ps) + (4 * k);
                                AddMasked(row, o0, cols);
                                AddMasked(row + 8, o1, cols - 8);
                                AddMasked(row + 16, o2, cols - 16);
                                AddMasked(row + 24, o3, cols - 24);
                            }
                        }
                        // The last tile's two right columns: lane lanes − 1 of the last block's P4 and P5, which the shift
                        // moved to lane lanes (mod 8).
                        int last = lanes & 7;
                        for (int i = 0; i < 6; i++)
                        {
                            float* at = pp + (((4 * ti) + i) * ps) + (4 * tw);
                            at[0] += 0f + carry[2 * i].GetElement(last);
                            at[1] += 0f + carry[(2 * i) + 1].GetElement(last);
                        }
                    }
                    WinogradF4Backward.StoreRows(pl, ps, g, dst, r0, rows);
                }
            }
        }
    }

    /// <summary>p[0 … lanes) += v[0 … lanes); the plane has a vector of slack past its last tile column, so the full-width read and write stay inside it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddMasked(float* p, Vector256<float> v, int lanes)
    {
        if (lanes <= 0)
        {
            return;
        }
        var old = Avx.LoadVector256(p);
        var sum = old + v;
        Avx.Store(p, lanes >= 8 ? sum : Avx.BlendVariable(old, sum, Mask(lanes)));
    }

    /// <summary>
    /// <see cref="WinogradF4Backward.WeightGradient"/> for pairs [k0, k1) eight at a time; returns the first pair left
    /// for the scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int WeightGradient(ReadOnlySpan<float> du, int oc, Span<float> dw, int k0, int k1)
    {
        var t = stackalloc Vector256<float>[18];
        var gv = stackalloc Vector256<float>[9];
        int k = k0;
        fixed (float* pu = du, pw = dw)
        {
            for (; k + 8 <= k1; k += 8)
            {
                float* x = pu + k;
                for (int s = 0; s < 6; s++)
                {
                    Gt(Avx.LoadVector256(x + (s * oc)), Avx.LoadVector256(x + ((6 + s) * oc)), Avx.LoadVector256(x + ((12 + s) * oc)),
                        Avx.LoadVector256(x + ((18 + s) * oc)), Avx.LoadVector256(x + ((24 + s) * oc)), Avx.LoadVector256(x + ((30 + s) * oc)),
                        out t[s], out t[6 + s], out t[12 + s]);
                }
                for (int i = 0; i < 3; i++)
                {
                    var ti = t + (6 * i);
                    Gt(ti[0], ti[1], ti[2], ti[3], ti[4], ti[5], out gv[3 * i], out gv[(3 * i) + 1], out gv[(3 * i) + 2]);
                }
                // Pair k + l's nine outputs are lane l of the nine vectors.
                float* d = pw + (k * 9);
                float* gs = (float*)gv;
                for (int l = 0; l < 8; l++)
                {
                    for (int j = 0; j < 9; j++)
                    {
                        d[(l * 9) + j] = gs[(j * 8) + l];
                    }
                }
            }
        }
        return k;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gt(Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3, Vector256<float> x4, Vector256<float> x5,
        out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2)
    {
        var sixth = Vector256.Create(WinogradF4Backward.Sixth);
        var s12 = x1 + x2;
        var s34 = x3 + x4;
        r0 = ((Vector256.Create(0.25f) * x0) - (sixth * s12)) + (Vector256.Create(WinogradF4Backward.TwentyFourth) * s34);
        r1 = (sixth * (x2 - x1)) + (Vector256.Create(WinogradF4Backward.Twelfth) * (x3 - x4));
        r2 = (sixth * (s34 - s12)) + x5;
    }
}
