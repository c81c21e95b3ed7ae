using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static DeepMetric.Tensors.AvxLanes;

namespace DeepMetric.Tensors;

/// <summary>
/// AVX2 versions of the <see cref="WinogradF4"/> tile transforms, vectorised over 8 consecutive tiles of a chunk or band
/// (t, t + 1, … across tile-row ends: ResNet's images are 14, 7, 4 or 2 tiles wide, too narrow for vectors along one
/// tile row), doing the scalar code's float operations in the same order lane by lane, so both give the same bits.
/// The input transform gathers each of the 36 tile positions of 8 tiles from the zero-padded plane; the output
/// transform writes each lane's 4×4 tile (cropped) from a small buffer. Partial blocks at the end use masked loads and
/// stores, so nothing outside the tiles is read or written.
/// </summary>
internal static unsafe class WinogradF4Avx
{
    private const int L = 8;

    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>Scratch floats the vectorised <see cref="WinogradF4.TransformInput"/> needs: the zero-padded plane, as the scalar path.</summary>
    public static int PlaneScratch(in ConvGeometry g) => WinogradF4.PlaneH(g) * WinogradF4.PlaneW(g);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Ld(float* p) => Avx.LoadVector256(p);

    /// <summary>
    /// <see cref="WinogradF4.TransformWeights"/> for pairs [k0, k1) eight at a time; returns the first pair left for the
    /// scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int TransformWeights(ReadOnlySpan<float> w, int oc, Span<float> u, int k0, int k1)
    {
        float* t = stackalloc float[18 * L];
        var idx = Vector256.Create(0, 9, 18, 27, 36, 45, 54, 63);
        int k = k0;
        fixed (float* pw = w, pu = u)
        {
            for (; k + L <= k1; k += L)
            {
                float* g = pw + (k * 9);
                // t = G g (6×3), column by column, then U = t Gᵀ row by row.
                for (int j = 0; j < 3; j++)
                {
                    G(Avx2.GatherVector256(g + j, idx, 4), Avx2.GatherVector256(g + 3 + j, idx, 4), Avx2.GatherVector256(g + 6 + j, idx, 4), t + (j * L), 3 * L);
                }
                for (int i = 0; i < 6; i++)
                {
                    G(Ld(t + (3 * i * L)), Ld(t + (((3 * i) + 1) * L)), Ld(t + (((3 * i) + 2) * L)), pu + (6 * i * oc) + k, oc);
                }
            }
        }
        return k;
    }

    // WinogradF4.G on vectors, the six results stored `stride` floats apart.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(Vector256<float> g0, Vector256<float> g1, Vector256<float> g2, float* o, int stride)
    {
        var s = g0 + g2;
        var a = (Vector256.Create(1f / 24f) * g0) + (Vector256.Create(1f / 6f) * g2);
        var b = Vector256.Create(1f / 12f) * g1;
        Avx.Store(o, Vector256.Create(0.25f) * g0);
        Avx.Store(o + stride, Vector256.Create(-(1f / 6f)) * (s + g1));
        Avx.Store(o + (2 * stride), Vector256.Create(-(1f / 6f)) * (s - g1));
        Avx.Store(o + (3 * stride), a + b);
        Avx.Store(o + (4 * stride), a - b);
        Avx.Store(o + (5 * stride), g2);
    }

    /// <summary>See <see cref="WinogradF4.TransformInput"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformInput(ReadOnlySpan<float> x, int count, in ConvGeometry g, Span<float> v, Span<float> scratch, int ti0, int ti1)
    {
        int tw = WinogradF4.TilesW(g), hq = WinogradF4.PlaneH(g), wq = WinogradF4.PlaneW(g), c = g.C, h = g.H, w = g.W, pad = g.Padding;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ct = c * tAll;
        int h0 = Math.Max(0, (4 * ti0) - pad), h1 = Math.Min(h, (4 * ti1) + 2 - pad);
        scratch[..(hq * wq)].Clear();
        float* a = stackalloc float[36 * L];
        // Plane offset of each band tile's top-left corner, padded to whole vectors with the last tile's (those lanes are
        // computed but never stored).
        int blocks = (tPer + L - 1) / L;
        int[] corners = new int[blocks * L];
        for (int t = 0; t < corners.Length; t++)
        {
            int tt = Math.Min(t, tPer - 1), ti = ti0 + (tt / tw), tj = tt % tw;
            corners[t] = (4 * ti * wq) + (4 * tj);
        }
        fixed (float* px = x, pv = v, pl = scratch)
        fixed (int* pc = corners)
        {
            for (int b = 0; b < count; b++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    // The interior is rewritten for every plane; the zero border stays.
                    float* src = px + (((b * c) + ch) * g.PlaneIn);
                    for (int r = h0; r < h1; r++)
                    {
                        new ReadOnlySpan<float>(src + (r * w), w).CopyTo(new Span<float>(pl + ((r + pad) * wq) + pad, w));
                    }
                    float* dst = pv + (ch * tAll) + (b * tPer);
                    for (int blk = 0; blk < blocks; blk++)
                    {
                        var idx = Avx.LoadVector256(pc + (blk * L));
                        // Bᵀ down each of the six columns (a[6·r + s]), then along each row.
                        for (int s = 0; s < 6; s++)
                        {
                            float* col = pl + s;
                            Bt(Avx2.GatherVector256(col, idx, 4), Avx2.GatherVector256(col + wq, idx, 4), Avx2.GatherVector256(col + (2 * wq), idx, 4),
                                Avx2.GatherVector256(col + (3 * wq), idx, 4), Avx2.GatherVector256(col + (4 * wq), idx, 4), Avx2.GatherVector256(col + (5 * wq), idx, 4),
                                a + (s * L), 6 * L, L, default);
                        }
                        int t0 = blk * L, lanes = Math.Min(L, tPer - t0);
                        var mask = Mask(lanes);
                        for (int r = 0; r < 6; r++)
                        {
                            float* ar = a + (6 * r * L);
                            Bt(Ld(ar), Ld(ar + L), Ld(ar + (2 * L)), Ld(ar + (3 * L)), Ld(ar + (4 * L)), Ld(ar + (5 * L)), dst + (6 * r * ct) + t0, ct, lanes, mask);
                        }
                    }
                }
            }
        }
    }

    // WinogradF4.Bt on vectors, the six results stored `stride` floats apart (the first `lanes` of each).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt(Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3, Vector256<float> x4, Vector256<float> x5,
        float* o, int stride, int lanes, Vector256<float> mask)
    {
        var four = Vector256.Create(4f);
        var five = Vector256.Create(5f);
        var a = x4 - (four * x2);
        var b = x3 - (four * x1);
        var c = x4 - x2;
        var e = Vector256.Create(2f) * (x3 - x1);
        Store(o, (x4 - (five * x2)) + (four * x0), lanes, mask);
        Store(o + stride, a + b, lanes, mask);
        Store(o + (2 * stride), a - b, lanes, mask);
        Store(o + (3 * stride), c + e, lanes, mask);
        Store(o + (4 * stride), c - e, lanes, mask);
        Store(o + (5 * stride), (x5 - (five * x3)) + (four * x1), lanes, mask);
    }

    /// <summary>See <see cref="WinogradF4.TransformOutput"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformOutput(ReadOnlySpan<float> m, int count, int o, in ConvGeometry g, ReadOnlySpan<float> bias, Span<float> y, int ti0, int ti1)
    {
        int tw = WinogradF4.TilesW(g), ho = g.Ho, wo = g.Wo;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        float* a = stackalloc float[24 * L];
        float* res = stackalloc float[16 * L];
        float* tr = stackalloc float[16 * L];
        fixed (float* pm = m, py = y, pb = bias)
        {
            for (int b = 0; b < count; b++)
            {
                for (int oc = 0; oc < o; oc++)
                {
                    var bv = Vector256.Create(bias.IsEmpty ? 0f : pb[oc]);
                    float* src = pm + (oc * tAll) + (b * tPer);
                    float* dst = py + (((b * o) + oc) * plane);
                    int ti = ti0, tj = 0;
                    for (int t0 = 0; t0 < tPer; t0 += L)
                    {
                        int lanes = Math.Min(L, tPer - t0);
                        var mask = Mask(lanes);
                        float* t = src + t0;
                        // Aᵀ down each of the six columns (a[6·r + s]), then along the rows into res[(4·r + j)·8 + lane].
                        for (int s = 0; s < 6; s++)
                        {
                            At(Load(t + (s * ot), lanes, mask), Load(t + ((6 + s) * ot), lanes, mask), Load(t + ((12 + s) * ot), lanes, mask),
                                Load(t + ((18 + s) * ot), lanes, mask), Load(t + ((24 + s) * ot), lanes, mask), Load(t + ((30 + s) * ot), lanes, mask),
                                out var r0, out var r1, out var r2, out var r3);
                            Avx.Store(a + (s * L), r0);
                            Avx.Store(a + ((6 + s) * L), r1);
                            Avx.Store(a + ((12 + s) * L), r2);
                            Avx.Store(a + ((18 + s) * L), r3);
                        }
                        for (int r = 0; r < 4; r++)
                        {
                            float* ar = a + (6 * r * L);
                            At(Ld(ar), Ld(ar + L), Ld(ar + (2 * L)), Ld(ar + (3 * L)), Ld(ar + (4 * L)), Ld(ar + (5 * L)),
                                out var q0, out var q1, out var q2, out var q3);
                            Avx.Store(res + (4 * r * L), q0 + bv);
                            Avx.Store(res + (((4 * r) + 1) * L), q1 + bv);
                            Avx.Store(res + (((4 * r) + 2) * L), q2 + bv);
                            Avx.Store(res + (((4 * r) + 3) * L), q3 + bv);
                        }
                        // Lane by lane (tr[16·l + 4·r + j]), then each lane's tile, cropped to the output, row by row.
                        Transpose8x8(res, L, tr, 2 * L);
                        Transpose8x8(res + (8 * L), L, tr + L, 2 * L);
                        for (int l = 0; l < lanes; l++)
                        {
                            int rows = Math.Min(4, ho - (4 * ti)), cols = Math.Min(4, wo - (4 * tj));
                            float* d = dst + (4 * ti * wo) + (4 * tj);
                            float* q = tr + (2 * L * l);
                            for (int r = 0; r < rows; r++)
                            {
                                if (cols == 4)
                                {
                                    Sse.Store(d + (r * wo), Sse.LoadVector128(q + (4 * r)));
                                    continue;
                                }
                                for (int j = 0; j < cols; j++)
                                {
                                    d[(r * wo) + j] = q[(4 * r) + j];
                                }
                            }
                            if (++tj == tw)
                            {
                                tj = 0;
                                ti++;
                            }
                        }
                    }
                }
            }
        }
    }

    // WinogradF4.At on vectors.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At(Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, Vector256<float> m4, Vector256<float> m5,
        out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3)
    {
        var s12 = m1 + m2;
        var d12 = m1 - m2;
        var s34 = m3 + m4;
        var d34 = m3 - m4;
        r0 = (m0 + s12) + s34;
        r1 = d12 + (Vector256.Create(2f) * d34);
        r2 = s12 + (Vector256.Create(4f) * s34);
        r3 = (d12 + (Vector256.Create(8f) * d34)) + m5;
    }
}
