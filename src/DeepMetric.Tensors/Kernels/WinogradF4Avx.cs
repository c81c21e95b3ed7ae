using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// AVX-512 versions of the <see cref="WinogradF4"/> tile transforms, vectorised over 16 neighbouring tiles of a tile row,
/// doing the scalar code's float operations in the same order lane by lane (so both give the same bits).
/// Tile tj reads padded columns 4tj … 4tj + 5, so each image plane is first split into its four column phases
/// (P_q[k] = column 4k + q): the six columns of tiles k … k + 15 are then the unit-stride vectors
/// P0[k], P1[k], P2[k], P3[k], P0[k + 1], P1[k + 1]. The output transform interleaves its four column vectors back
/// into rows with two-source permutes. Partial blocks at the end of a tile row go through a small buffer, so no
/// element outside the tile row is read or written.
/// </summary>
internal static unsafe class WinogradF4Avx
{
    private const int L = 16;

    /// <summary>True where 512-bit vectors are hardware-accelerated and AVX-512F is there for the permutes.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>Floats per row of one column phase: the tile columns plus one, rounded to vectors, plus a vector of slack.</summary>
    private static int SplitStride(int tw) => ((tw + L) & ~(L - 1)) + L;

    /// <summary>Scratch floats the vectorised <see cref="WinogradF4.TransformInput"/> needs: four column phases of the padded plane.</summary>
    public static int PlaneScratch(in ConvGeometry g) => 4 * WinogradF4.PlaneH(g) * SplitStride(WinogradF4.TilesW(g));

    private static readonly Vector512<float> s_four = Vector512.Create(4f), s_five = Vector512.Create(5f), s_two = Vector512.Create(2f);

    /// <summary>
    /// <see cref="WinogradF4.TransformWeights"/> for pairs [k0, k1) sixteen at a time; returns the first pair left for
    /// the scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int TransformWeights(ReadOnlySpan<float> w, int oc, Span<float> u, int k0, int k1)
    {
        float* g = stackalloc float[9 * L];
        float* t = stackalloc float[18 * L];
        int k = k0;
        fixed (float* pw = w, pu = u)
        {
            for (; k + L <= k1; k += L)
            {
                // [pair][9] → [9][pair]
                float* src = pw + (k * 9);
                for (int l = 0; l < L; l++)
                {
                    for (int j = 0; j < 9; j++)
                    {
                        g[(j * L) + l] = src[(l * 9) + j];
                    }
                }
                // t = G g (6×3), column by column, then U = t Gᵀ row by row.
                for (int j = 0; j < 3; j++)
                {
                    G(Ld(g + (j * L)), Ld(g + ((3 + j) * L)), Ld(g + ((6 + j) * L)), t + (j * L), 3 * L);
                }
                for (int i = 0; i < 6; i++)
                {
                    G(Ld(t + (3 * i * L)), Ld(t + (((3 * i) + 1) * L)), Ld(t + (((3 * i) + 2) * L)), pu + (6 * i * oc) + k, oc);
                }
            }
        }
        return k;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Ld(float* p) => Vector512.Load(p);

    // WinogradF4.G on vectors, the six results stored `stride` floats apart.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, float* o, int stride)
    {
        var s = g0 + g2;
        var a = (Vector512.Create(1f / 24f) * g0) + (Vector512.Create(1f / 6f) * g2);
        var b = Vector512.Create(1f / 12f) * g1;
        (Vector512.Create(0.25f) * g0).Store(o);
        (Vector512.Create(-(1f / 6f)) * (s + g1)).Store(o + stride);
        (Vector512.Create(-(1f / 6f)) * (s - g1)).Store(o + (2 * stride));
        (a + b).Store(o + (3 * stride));
        (a - b).Store(o + (4 * stride));
        g2.Store(o + (5 * stride));
    }

    /// <summary>See <see cref="WinogradF4.TransformInput"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformInput(ReadOnlySpan<float> x, int count, in ConvGeometry g, Span<float> v, Span<float> scratch, int ti0, int ti1)
    {
        int tw = WinogradF4.TilesW(g), hq = WinogradF4.PlaneH(g), c = g.C, h = g.H, w = g.W, pad = g.Padding;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ct = c * tAll, ss = SplitStride(tw), phase = hq * ss;
        int h0 = Math.Max(0, (4 * ti0) - pad), h1 = Math.Min(h, (4 * ti1) + 2 - pad);
        scratch[..(4 * phase)].Clear();
        float* a = stackalloc float[36 * L];
        fixed (float* px = x, pv = v, ps = scratch)
        {
            for (int b = 0; b < count; b++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    // Split the plane into its column phases; the zero border is never written (but zeros).
                    float* src = px + (((b * c) + ch) * g.PlaneIn);
                    for (int r = h0; r < h1; r++)
                    {
                        float* row = src + (r * w);
                        float* dst0 = ps + ((r + pad) * ss);
                        for (int iw = 0; iw < w; iw++)
                        {
                            int col = iw + pad;
                            dst0[((col & 3) * phase) + (col >> 2)] = row[iw];
                        }
                    }
                    float* dst = pv + (ch * tAll) + (b * tPer);
                    for (int ti = ti0; ti < ti1; ti++)
                    {
                        float* p0 = ps + (4 * ti * ss);
                        for (int k = 0; k < tw; k += L)
                        {
                            // Bᵀ down each of the six columns (a[6·r + s]), then along each row.
                            for (int s = 0; s < 6; s++)
                            {
                                float* col = p0 + ((s & 3) * phase) + k + (s >> 2);
                                Bt(Ld(col), Ld(col + ss), Ld(col + (2 * ss)), Ld(col + (3 * ss)), Ld(col + (4 * ss)), Ld(col + (5 * ss)),
                                    a + (s * L), 6 * L);
                            }
                            int lanes = Math.Min(L, tw - k);
                            float* o = dst + ((ti - ti0) * tw) + k;
                            for (int r = 0; r < 6; r++)
                            {
                                float* ar = a + (6 * r * L);
                                if (lanes == L)
                                {
                                    Bt(Ld(ar), Ld(ar + L), Ld(ar + (2 * L)), Ld(ar + (3 * L)), Ld(ar + (4 * L)), Ld(ar + (5 * L)), o + (6 * r * ct), ct);
                                }
                                else
                                {
                                    BtPartial(ar, o + (6 * r * ct), ct, lanes);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // A partial block: each result through the small buffer, its first `lanes` floats copied out.
    private static void BtPartial(float* ar, float* o, int stride, int lanes)
    {
        float* res = stackalloc float[6 * L];
        Bt(Ld(ar), Ld(ar + L), Ld(ar + (2 * L)), Ld(ar + (3 * L)), Ld(ar + (4 * L)), Ld(ar + (5 * L)), res, L);
        for (int j = 0; j < 6; j++)
        {
            new ReadOnlySpan<float>(res + (j * L), lanes).CopyTo(new Span<float>(o + (j * stride), lanes));
        }
    }

    // WinogradF4.Bt on vectors, the six results stored `stride` floats apart.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt(Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3, Vector512<float> x4, Vector512<float> x5,
        float* o, int stride)
    {
        var a = x4 - (s_four * x2);
        var b = x3 - (s_four * x1);
        var c = x4 - x2;
        var e = s_two * (x3 - x1);
        ((x4 - (s_five * x2)) + (s_four * x0)).Store(o);
        (a + b).Store(o + stride);
        (a - b).Store(o + (2 * stride));
        (c + e).Store(o + (3 * stride));
        (c - e).Store(o + (4 * stride));
        ((x5 - (s_five * x3)) + (s_four * x1)).Store(o + (5 * stride));
    }

    private static readonly Vector512<int> s_lo32 = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> s_hi32 = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    private static readonly Vector512<long> s_lo64 = Vector512.Create(0L, 8, 1, 9, 2, 10, 3, 11);
    private static readonly Vector512<long> s_hi64 = Vector512.Create(4L, 12, 5, 13, 6, 14, 7, 15);

    /// <summary>See <see cref="WinogradF4.TransformOutput"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformOutput(ReadOnlySpan<float> m, int count, int o, in ConvGeometry g, ReadOnlySpan<float> bias, Span<float> y, int ti0, int ti1)
    {
        int tw = WinogradF4.TilesW(g), ho = g.Ho, wo = g.Wo;
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        float* a = stackalloc float[24 * L];
        float* mt = stackalloc float[36 * L];
        float* row = stackalloc float[4 * L];
        var lo32 = s_lo32;
        var hi32 = s_hi32;
        var lo64 = s_lo64;
        var hi64 = s_hi64;
        fixed (float* pm = m, py = y, pb = bias)
        {
            for (int b = 0; b < count; b++)
            {
                for (int oc = 0; oc < o; oc++)
                {
                    var bv = Vector512.Create(bias.IsEmpty ? 0f : pb[oc]);
                    float* src = pm + (oc * tAll) + (b * tPer);
                    float* dst = py + (((b * o) + oc) * plane);
                    for (int ti = ti0; ti < ti1; ti++)
                    {
                        int rows = Math.Min(4, ho - (4 * ti));
                        for (int k = 0; k < tw; k += L)
                        {
                            int lanes = Math.Min(L, tw - k);
                            float* t = src + ((ti - ti0) * tw) + k;
                            int tStride = ot;
                            if (lanes < L)
                            {
                                // A partial block: its M values into a buffer first (nothing past the tile row is read).
                                for (int xi = 0; xi < 36; xi++)
                                {
                                    new ReadOnlySpan<float>(t + (xi * ot), lanes).CopyTo(new Span<float>(mt + (xi * L), L));
                                }
                                t = mt;
                                tStride = L;
                            }
                            // Aᵀ down each of the six columns (a[6·r + s]), then along the rows.
                            for (int s = 0; s < 6; s++)
                            {
                                At(Ld(t + (s * tStride)), Ld(t + ((6 + s) * tStride)), Ld(t + ((12 + s) * tStride)), Ld(t + ((18 + s) * tStride)),
                                    Ld(t + ((24 + s) * tStride)), Ld(t + ((30 + s) * tStride)), out var r0, out var r1, out var r2, out var r3);
                                r0.Store(a + (s * L));
                                r1.Store(a + ((6 + s) * L));
                                r2.Store(a + ((12 + s) * L));
                                r3.Store(a + ((18 + s) * L));
                            }
                            int cols = Math.Min(4 * L, wo - (4 * k));
                            for (int r = 0; r < rows; r++)
                            {
                                float* ar = a + (6 * r * L);
                                At(Ld(ar), Ld(ar + L), Ld(ar + (2 * L)), Ld(ar + (3 * L)), Ld(ar + (4 * L)), Ld(ar + (5 * L)),
                                    out var q0, out var q1, out var q2, out var q3);
                                q0 += bv;
                                q1 += bv;
                                q2 += bv;
                                q3 += bv;
                                // [q0 q1 q2 q3] lane by lane: tile l's four columns land at 4l … 4l + 3.
                                var lo01 = Avx512F.PermuteVar16x32x2(q0, lo32, q1).AsDouble();
                                var hi01 = Avx512F.PermuteVar16x32x2(q0, hi32, q1).AsDouble();
                                var lo23 = Avx512F.PermuteVar16x32x2(q2, lo32, q3).AsDouble();
                                var hi23 = Avx512F.PermuteVar16x32x2(q2, hi32, q3).AsDouble();
                                float* d = dst + ((((4 * ti) + r) * wo) + (4 * k));
                                float* out0 = cols == 4 * L ? d : row;
                                Avx512F.PermuteVar8x64x2(lo01, lo64, lo23).AsSingle().Store(out0);
                                Avx512F.PermuteVar8x64x2(lo01, hi64, lo23).AsSingle().Store(out0 + L);
                                Avx512F.PermuteVar8x64x2(hi01, lo64, hi23).AsSingle().Store(out0 + (2 * L));
                                Avx512F.PermuteVar8x64x2(hi01, hi64, hi23).AsSingle().Store(out0 + (3 * L));
                                if (cols < 4 * L)
                                {
                                    new ReadOnlySpan<float>(row, cols).CopyTo(new Span<float>(d, cols));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // WinogradF4.At on vectors.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5,
        out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3)
    {
        var s12 = m1 + m2;
        var d12 = m1 - m2;
        var s34 = m3 + m4;
        var d34 = m3 - m4;
        r0 = (m0 + s12) + s34;
        r1 = d12 + (s_two * d34);
        r2 = s12 + (s_four * s34);
        r3 = (d12 + (Vector512.Create(8f) * d34)) + m5;
    }
}
