using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepMetric.Tensors;

/// <summary>
/// Winograd minimal filtering F(4×4, 3×3) for 3×3, stride-1, undilated convolutions (Lavin &amp; Gray, "Fast
/// Algorithms for Convolutional Neural Networks", CVPR 2016), interpolation points 0, 1, −1, 2, −2, ∞. Each 4×4
/// output tile comes from a 6×6 input tile (tiles overlap by 2): with V = Bᵀ d B per (channel, tile) and
/// U = G g Gᵀ per (output, input channel), the 36 element-wise products summed over channels are 36 GEMMs
/// M_ξ[O×T] = U_ξ[O×C] · V_ξ[C×T], and Y = Aᵀ M A. That is 36 multiplies per 16 outputs instead of 144 (4× fewer
/// GEMM flops than im2col, 1.78× fewer than F(2×2, 3×3)), and 2.25 transformed values per output instead of 4.
/// </summary>
/// <remarks>
/// Layouts as in <see cref="Winograd"/> with 36 transformed elements: U [36][O][C], V [36][C][T], M [36][O][T],
/// ξ = 6·r + s, tile t = (image·Th + ti)·Tw + tj within a chunk (or within a band of tile rows [ti0, ti1)).
/// The larger constants (±8 in Aᵀ, 1/6 and 1/24 in G, 4 and 5 in Bᵀ) make it less exact in fp32 than F(2×2, 3×3);
/// docs/ gives the measured error. The vectorised transforms (<see cref="WinogradF4Avx"/>) do the same float
/// operations in the same order as the scalar code here, so both give the same bits.
/// </remarks>
internal static class WinogradF4
{
    /// <summary>Number of transformed elements per tile (6×6).</summary>
    public const int Xi = 36;

    [ThreadStatic]
    private static bool t_forceF2;

    /// <summary>When true on this thread, convolutions that would use F(4×4, 3×3) use F(2×2, 3×3) (tests compare both).</summary>
    internal static bool ForceF2
    {
        get => t_forceF2;
        set => t_forceF2 = value;
    }

    [ThreadStatic]
    private static bool t_forceF4;

    /// <summary>When true on this thread, every forward convolution F(4×4, 3×3) can compute uses it, whatever its shape (tests reach it with small shapes).</summary>
    internal static bool ForceF4
    {
        get => t_forceF4;
        set => t_forceF4 = value;
    }

    /// <summary>
    /// False when the environment variable DEEPMETRIC_WINOGRAD is "f2" at start-up: then every Winograd convolution keeps
    /// F(2×2, 3×3). Read once, so it cannot change under a running forward pass.
    /// </summary>
    internal static readonly bool Enabled =
        !string.Equals(Environment.GetEnvironmentVariable("DEEPMETRIC_WINOGRAD"), "f2", StringComparison.OrdinalIgnoreCase);

    private static bool Vectorised => WinogradF4Avx.IsSupported && !Winograd.ForceScalar;

    /// <summary>True when F(4×4, 3×3) computes this convolution (3×3, stride 1, dilation 1).</summary>
    public static bool Applies(in ConvGeometry g) => g.Kh == 3 && g.Kw == 3 && g.Stride == 1 && g.Dilation == 1;

    /// <summary>Tile rows per image.</summary>
    public static int TilesH(in ConvGeometry g) => (g.Ho + 3) / 4;

    /// <summary>Tile columns per image.</summary>
    public static int TilesW(in ConvGeometry g) => (g.Wo + 3) / 4;

    /// <summary>Rows of the zero-padded plane that holds every input tile of one image channel.</summary>
    public static int PlaneH(in ConvGeometry g) => (4 * TilesH(g)) + 2;

    /// <summary>Columns of the zero-padded plane that holds every input tile of one image channel.</summary>
    public static int PlaneW(in ConvGeometry g) => (4 * TilesW(g)) + 2;

    /// <summary>Floats of plane scratch that <see cref="TransformInput"/> needs (scalar and vectorised paths alike).</summary>
    public static int PlaneScratch(in ConvGeometry g) => Math.Max(PlaneH(g) * PlaneW(g), WinogradF4Avx.PlaneScratch(g));

    // Below this many (o, c) pairs the weight transform runs on the calling thread.
    private const int ParallelWeightPairs = 4096;

    // G's fractions, rounded to float once.
    private const float Sixth = 1f / 6f, Twelfth = 1f / 12f, TwentyFourth = 1f / 24f;

    /// <summary>U[ξ][o][c] = (G g_{o,c} Gᵀ)_ξ for weights [O, C, 3, 3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformWeights(ReadOnlySpan<float> w, int o, int c, Span<float> u)
    {
        int oc = o * c;
        if (w.Length < oc * 9 || u.Length < Xi * oc)
        {
            throw new ArgumentException("WinogradF4.TransformWeights: buffers too small.", nameof(u));
        }
        // The pairs are independent: split over the worker ranges when there are enough (512×512 weights are 262k pairs).
        if (oc >= ParallelWeightPairs && !Winograd.ForceScalar)
        {
            unsafe
            {
                fixed (float* pw = w, pu = u)
                {
                    nint wAddr = (nint)pw, uAddr = (nint)pu;
                    KernelThreads.For(oc, (_, k0, k1) => TransformWeightsRange(new ReadOnlySpan<float>((float*)wAddr, oc * 9), oc, new Span<float>((float*)uAddr, Xi * oc), k0, k1));
                }
            }
            return;
        }
        TransformWeightsRange(w, oc, u, 0, oc);
    }

    // Pairs [k0, k1) of TransformWeights; the SIMD path does the same float operations in the same order per pair.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformWeightsRange(ReadOnlySpan<float> w, int oc, Span<float> u, int k0, int k1)
    {
        if (Vectorised)
        {
            k0 = WinogradF4Avx.TransformWeights(w, oc, u, k0, k1);
        }
        Span<float> t = stackalloc float[18];
        for (int k = k0; k < k1; k++)
        {
            var g = w.Slice(k * 9, 9);
            // t = G g (6×3), column by column.
            for (int j = 0; j < 3; j++)
            {
                G(g[j], g[3 + j], g[6 + j], out t[j], out t[3 + j], out t[6 + j], out t[9 + j], out t[12 + j], out t[15 + j]);
            }
            // U = t Gᵀ (6×6): the same combination along each row.
            for (int i = 0; i < 6; i++)
            {
                G(t[3 * i], t[(3 * i) + 1], t[(3 * i) + 2], out float r0, out float r1, out float r2, out float r3, out float r4, out float r5);
                int at = (6 * i * oc) + k;
                u[at] = r0;
                u[at + oc] = r1;
                u[at + (2 * oc)] = r2;
                u[at + (3 * oc)] = r3;
                u[at + (4 * oc)] = r4;
                u[at + (5 * oc)] = r5;
            }
        }
    }

    /// <summary>G (g0, g1, g2)ᵀ: g0/4, −(g0+g1+g2)/6, −(g0−g1+g2)/6, g0/24 + g1/12 + g2/6, g0/24 − g1/12 + g2/6, g2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void G(float g0, float g1, float g2, out float r0, out float r1, out float r2, out float r3, out float r4, out float r5)
    {
        float s = g0 + g2, a = (TwentyFourth * g0) + (Sixth * g2), b = Twelfth * g1;
        r0 = 0.25f * g0;
        r1 = -Sixth * (s + g1);
        r2 = -Sixth * (s - g1);
        r3 = a + b;
        r4 = a - b;
        r5 = g2;
    }

    /// <summary>
    /// V[ξ][c][t] = (Bᵀ d B)_ξ for every 6×6 input tile d of <paramref name="count"/> images [C, H, W];
    /// <paramref name="plane"/> is scratch of at least <see cref="PlaneScratch"/> floats. With a row range only tile rows
    /// [<paramref name="ti0"/>, <paramref name="ti1"/>) are transformed, and t counts the band's tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformInput(ReadOnlySpan<float> x, int count, in ConvGeometry g, Span<float> v, Span<float> plane, int ti0 = 0, int ti1 = -1)
    {
        int th = TilesH(g), tw = TilesW(g), hq = PlaneH(g), wq = PlaneW(g), c = g.C;
        ti1 = Winograd.TileRows(ti0, ti1, th, "WinogradF4.TransformInput");
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ct = c * tAll;
        if (x.Length < count * c * g.PlaneIn || v.Length < Xi * ct || plane.Length < PlaneScratch(g))
        {
            throw new ArgumentException("WinogradF4.TransformInput: buffers too small.", nameof(v));
        }
        if (Vectorised)
        {
            WinogradF4Avx.TransformInput(x, count, g, v, plane, ti0, ti1);
            return;
        }
        var pl = plane[..(hq * wq)];
        pl.Clear();
        ref float p0 = ref MemoryMarshal.GetReference(pl);
        ref float v0 = ref MemoryMarshal.GetReference(v);
        int pad = g.Padding;
        // Input rows the band's tiles read (plane rows [4·ti0, 4·ti1 + 2)); the others are never copied.
        int h0 = Math.Max(0, (4 * ti0) - pad), h1 = Math.Min(g.H, (4 * ti1) + 2 - pad);
        Span<float> a = stackalloc float[36];
        for (int b = 0; b < count; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                // The interior is rewritten for every plane; the zero border (and whatever tiles read past the padded
                // input) stays zero.
                var src = x.Slice(((b * c) + ch) * g.PlaneIn, g.PlaneIn);
                for (int h = h0; h < h1; h++)
                {
                    src.Slice(h * g.W, g.W).CopyTo(pl.Slice(((h + pad) * wq) + pad, g.W));
                }
                int outBase = (ch * tAll) + (b * tPer);
                for (int ti = ti0; ti < ti1; ti++)
                {
                    for (int tj = 0; tj < tw; tj++)
                    {
                        ref float d = ref Unsafe.Add(ref p0, (4 * ti * wq) + (4 * tj));
                        // Bᵀ down each of the six columns, then along each of the six rows.
                        for (int s = 0; s < 6; s++)
                        {
                            Bt(Unsafe.Add(ref d, s), Unsafe.Add(ref d, wq + s), Unsafe.Add(ref d, (2 * wq) + s), Unsafe.Add(ref d, (3 * wq) + s),
                                Unsafe.Add(ref d, (4 * wq) + s), Unsafe.Add(ref d, (5 * wq) + s),
                                out a[s], out a[6 + s], out a[12 + s], out a[18 + s], out a[24 + s], out a[30 + s]);
                        }
                        ref float o = ref Unsafe.Add(ref v0, outBase + ((ti - ti0) * tw) + tj);
                        for (int r = 0; r < 6; r++)
                        {
                            int at = 6 * r * ct;
                            Bt(a[6 * r], a[(6 * r) + 1], a[(6 * r) + 2], a[(6 * r) + 3], a[(6 * r) + 4], a[(6 * r) + 5],
                                out Unsafe.Add(ref o, at), out Unsafe.Add(ref o, at + ct), out Unsafe.Add(ref o, at + (2 * ct)),
                                out Unsafe.Add(ref o, at + (3 * ct)), out Unsafe.Add(ref o, at + (4 * ct)), out Unsafe.Add(ref o, at + (5 * ct)));
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Bᵀ (x0 … x5)ᵀ: 4x0 − 5x2 + x4, −4x1 − 4x2 + x3 + x4, 4x1 − 4x2 − x3 + x4, −2x1 − x2 + 2x3 + x4,
    /// 2x1 − x2 − 2x3 + x4, 4x1 − 5x3 + x5, with shared partial sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Bt(float x0, float x1, float x2, float x3, float x4, float x5,
        out float r0, out float r1, out float r2, out float r3, out float r4, out float r5)
    {
        float a = x4 - (4f * x2), b = x3 - (4f * x1), c = x4 - x2, e = 2f * (x3 - x1);
        r0 = (x4 - (5f * x2)) + (4f * x0);
        r1 = a + b;
        r2 = a - b;
        r3 = c + e;
        r4 = c - e;
        r5 = (x5 - (5f * x3)) + (4f * x1);
    }

    /// <summary>
    /// Y = Aᵀ M A per tile (plus <paramref name="bias"/>, if not empty), cropped to Ho×Wo and written to
    /// <paramref name="y"/> [count, O, Ho, Wo]; M is [36][O][T]. With a row range M holds only tile rows
    /// [<paramref name="ti0"/>, <paramref name="ti1"/>) and only their output rows of y are written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformOutput(ReadOnlySpan<float> m, int count, int o, in ConvGeometry g, ReadOnlySpan<float> bias, Span<float> y, int ti0 = 0, int ti1 = -1)
    {
        int th = TilesH(g), tw = TilesW(g), ho = g.Ho, wo = g.Wo;
        ti1 = Winograd.TileRows(ti0, ti1, th, "WinogradF4.TransformOutput");
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        if (m.Length < Xi * ot || y.Length < count * o * plane || (!bias.IsEmpty && bias.Length < o))
        {
            throw new ArgumentException("WinogradF4.TransformOutput: buffers too small.", nameof(y));
        }
        if (Vectorised)
        {
            WinogradF4Avx.TransformOutput(m, count, o, g, bias, y, ti0, ti1);
            return;
        }
        ref float m0 = ref MemoryMarshal.GetReference(m);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        Span<float> a = stackalloc float[24];
        for (int b = 0; b < count; b++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                float bv = bias.IsEmpty ? 0f : bias[oc];
                ref float src = ref Unsafe.Add(ref m0, (oc * tAll) + (b * tPer));
                ref float dst = ref Unsafe.Add(ref y0, ((b * o) + oc) * plane);
                for (int ti = ti0; ti < ti1; ti++)
                {
                    int rows = Math.Min(4, ho - (4 * ti));
                    for (int tj = 0; tj < tw; tj++)
                    {
                        int cols = Math.Min(4, wo - (4 * tj));
                        ref float t = ref Unsafe.Add(ref src, ((ti - ti0) * tw) + tj);
                        // Aᵀ down each of the six columns (a[6·r + s], r the output row), then along the rows.
                        for (int s = 0; s < 6; s++)
                        {
                            At(Unsafe.Add(ref t, s * ot), Unsafe.Add(ref t, (6 + s) * ot), Unsafe.Add(ref t, (12 + s) * ot),
                                Unsafe.Add(ref t, (18 + s) * ot), Unsafe.Add(ref t, (24 + s) * ot), Unsafe.Add(ref t, (30 + s) * ot),
                                out a[s], out a[6 + s], out a[12 + s], out a[18 + s]);
                        }
                        for (int r = 0; r < rows; r++)
                        {
                            At(a[6 * r], a[(6 * r) + 1], a[(6 * r) + 2], a[(6 * r) + 3], a[(6 * r) + 4], a[(6 * r) + 5],
                                out float q0, out float q1, out float q2, out float q3);
                            ref float row = ref Unsafe.Add(ref dst, (((4 * ti) + r) * wo) + (4 * tj));
                            row = q0 + bv;
                            if (cols > 1)
                            {
                                Unsafe.Add(ref row, 1) = q1 + bv;
                            }
                            if (cols > 2)
                            {
                                Unsafe.Add(ref row, 2) = q2 + bv;
                            }
                            if (cols > 3)
                            {
                                Unsafe.Add(ref row, 3) = q3 + bv;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Aᵀ (m0 … m5)ᵀ: m0 + m1 + m2 + m3 + m4, m1 − m2 + 2(m3 − m4), m1 + m2 + 4(m3 + m4), m1 − m2 + 8(m3 − m4) + m5,
    /// with shared partial sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void At(float m0, float m1, float m2, float m3, float m4, float m5, out float r0, out float r1, out float r2, out float r3)
    {
        float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
        r0 = (m0 + s12) + s34;
        r1 = d12 + (2f * d34);
        r2 = s12 + (4f * s34);
        r3 = (d12 + (8f * d34)) + m5;
    }
}
