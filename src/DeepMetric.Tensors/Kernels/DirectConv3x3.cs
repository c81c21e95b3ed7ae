using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// Direct 3×3, stride-1 convolution for inputs with few channels (the first layer of an image network: gray or RGB).
/// With C·9 ≤ 36 the im2col GEMM has a reduction depth too short for BLAS to be efficient and the column matrix is
/// 9·C times the input, so this kernel instead keeps 8-wide output rows in registers and reads the zero-padded image
/// from L1: the forward pass and the weight gradient each touch the large tensor (output or output gradient) once.
/// </summary>
/// <remarks>
/// Each image is copied into padded planes [C, Hp, RowStride] whose rows are long enough for whole 8-wide vectors
/// (zeros beyond the padded width), so the inner loops need no bounds tests. Output rows whose width is not a multiple
/// of 8 finish with masked loads and stores. The input gradient is not computed here (a first layer does not need
/// it); the caller uses im2col for it.
/// </remarks>
internal static class DirectConv3x3
{
    private const int Lanes = 8;

    /// <summary>Most input channels this kernel takes.</summary>
    public const int MaxChannels = 4;

    [ThreadStatic]
    private static bool t_forceScalar;

    /// <summary>When true on this thread, the portable scalar loops run even where AVX2/FMA is available (tests cover both).</summary>
    internal static bool ForceScalar
    {
        get => t_forceScalar;
        set => t_forceScalar = value;
    }

    private static bool Vectorised => Fma.IsSupported && Avx.IsSupported && !t_forceScalar;

    /// <summary>True when this kernel computes the convolution.</summary>
    public static bool Applies(in ConvGeometry g) =>
        g.Kh == 3 && g.Kw == 3 && g.Stride == 1 && g.Dilation == 1 && g.C <= MaxChannels;

    /// <summary>Width of one padded row: the padded image width, widened so every group of output vectors reads inside it.</summary>
    public static int RowStride(in ConvGeometry g) => Math.Max(g.Wp, RoundUpGroup(g.Wo) + 2);

    /// <summary>Floats of padded-image scratch one image needs.</summary>
    public static int PaddedScratch(in ConvGeometry g) => g.C * g.Hp * RowStride(g);

    /// <summary>y[n] = bias + w ⋆ x[n] for <paramref name="count"/> images x [count, C, H, W] into y [count, O, Ho, Wo].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, int count, in ConvGeometry g, ReadOnlySpan<float> w, int o,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> padded)
    {
        int c = g.C, ho = g.Ho, wo = g.Wo, rs = RowStride(g), planeP = g.Hp * rs;
        if (x.Length < count * c * g.PlaneIn || y.Length < count * o * ho * wo || w.Length < o * c * 9 || padded.Length < c * planeP)
        {
            throw new ArgumentException("DirectConv3x3.Forward: buffers too small.", nameof(y));
        }
        for (int n = 0; n < count; n++)
        {
            PadImage(x.Slice(n * c * g.PlaneIn, c * g.PlaneIn), g, padded);
            var yn = y.Slice(n * o * ho * wo, o * ho * wo);
            for (int oc = 0; oc < o; oc++)
            {
                float b = bias.IsEmpty ? 0f : bias[oc];
                var wk = w.Slice(oc * c * 9, c * 9);
                var plane = yn.Slice(oc * ho * wo, ho * wo);
                if (Vectorised)
                {
                    ForwardPlaneAvx(padded, c, planeP, rs, ho, wo, wk, b, plane);
                }
                else
                {
                    ForwardPlaneScalar(padded, c, planeP, rs, ho, wo, wk, b, plane);
                }
            }
        }
    }

    /// <summary>
    /// Adds to <paramref name="acc"/> the weight gradient Σ_n,h,w dy[n, o, h, w] · xpad[n, c, h+i, w+j] and the bias
    /// gradient Σ_n,h,w dy[n, o, h, w] of <paramref name="count"/> images (both from one pass over dy).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateWeightGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int count, in ConvGeometry g, int o,
        GradientSums acc, Span<float> padded)
    {
        int c = g.C, ho = g.Ho, wo = g.Wo, rs = RowStride(g), planeP = g.Hp * rs;
        if (x.Length < count * c * g.PlaneIn || dy.Length < count * o * ho * wo || acc.Weights.Length < o * c * 9 || padded.Length < c * planeP)
        {
            throw new ArgumentException("DirectConv3x3.AccumulateWeightGradient: buffers too small.", nameof(acc));
        }
        Span<float> sums = stackalloc float[10];
        for (int n = 0; n < count; n++)
        {
            PadImage(x.Slice(n * c * g.PlaneIn, c * g.PlaneIn), g, padded);
            var dyn = dy.Slice(n * o * ho * wo, o * ho * wo);
            for (int oc = 0; oc < o; oc++)
            {
                var gPlane = dyn.Slice(oc * ho * wo, ho * wo);
                for (int ci = 0; ci < c; ci++)
                {
                    var xp = padded.Slice(ci * planeP, planeP);
                    if (Vectorised)
                    {
                        WeightGradientPlaneAvx(xp, rs, ho, wo, gPlane, sums);
                    }
                    else
                    {
                        WeightGradientPlaneScalar(xp, rs, ho, wo, gPlane, sums);
                    }
                    var a = acc.Weights.AsSpan(((oc * c) + ci) * 9, 9);
                    for (int k = 0; k < 9; k++)
                    {
                        a[k] += sums[k];
                    }
                    if (ci == 0)
                    {
                        acc.Bias[oc] += sums[9];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Double-precision running sums of the weight gradient [O, C, 3, 3] and the bias gradient [O]: a batch adds many
    /// thousands of products per weight.
    /// </summary>
    public sealed class GradientSums(int o, int c)
    {
        public double[] Weights { get; } = new double[o * c * 9];

        public double[] Bias { get; } = new double[o];

        /// <summary>Adds <paramref name="other"/>'s sums to these.</summary>
        public void Add(GradientSums other)
        {
            for (int i = 0; i < Weights.Length; i++)
            {
                Weights[i] += other.Weights[i];
            }
            for (int i = 0; i < Bias.Length; i++)
            {
                Bias[i] += other.Bias[i];
            }
        }

        /// <summary>Writes the sums as floats to <paramref name="dw"/> and, when not empty, <paramref name="db"/>.</summary>
        public void WriteTo(Span<float> dw, Span<float> db)
        {
            for (int i = 0; i < Weights.Length; i++)
            {
                dw[i] = (float)Weights[i];
            }
            for (int i = 0; i < db.Length && i < Bias.Length; i++)
            {
                db[i] = (float)Bias[i];
            }
        }
    }

    // Output rows are computed in groups of four 8-wide vectors, which may read past the row's last group.
    private static int RoundUpGroup(int n) => (n + (4 * Lanes) - 1) / (4 * Lanes) * (4 * Lanes);

    /// <summary>Copies one image [C, H, W] into zeroed padded planes [C, Hp, RowStride].</summary>
    private static void PadImage(ReadOnlySpan<float> img, in ConvGeometry g, Span<float> padded)
    {
        int rs = RowStride(g), planeP = g.Hp * rs, p = g.Padding, h = g.H, w = g.W;
        padded[..(g.C * planeP)].Clear();
        for (int ci = 0; ci < g.C; ci++)
        {
            for (int r = 0; r < h; r++)
            {
                img.Slice((ci * g.PlaneIn) + (r * w), w).CopyTo(padded.Slice((ci * planeP) + ((r + p) * rs) + p, w));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardPlaneAvx(ReadOnlySpan<float> padded, int c, int planeP, int rs, int ho, int wo,
        ReadOnlySpan<float> wk, float b, Span<float> plane)
    {
        var bv = Vector256.Create(b);
        // Lanes of the row's last vector that belong to the row (all of them when wo is a multiple of 8).
        var lastMask = AvxLanes.Mask(wo - ((wo - 1) / Lanes * Lanes));
        fixed (float* x0 = padded, w0 = wk, y0 = plane)
        {
            int h = 0;
            // Two output rows at a time: eight independent accumulators hide the FMA latency, and each broadcast
            // weight serves both rows.
            for (; h + 1 < ho; h += 2)
            {
                float* yRow = y0 + (h * wo);
                for (int j = 0; j < wo; j += 4 * Lanes)
                {
                    Vector256<float> a0 = bv, a1 = bv, a2 = bv, a3 = bv, b0 = bv, b1 = bv, b2 = bv, b3 = bv;
                    for (int ci = 0; ci < c; ci++)
                    {
                        for (int i = 0; i < 3; i++)
                        {
                            float* xr = x0 + (ci * planeP) + ((h + i) * rs) + j;
                            float* wr = w0 + (ci * 9) + (i * 3);
                            for (int jj = 0; jj < 3; jj++)
                            {
                                var wv = Vector256.Create(wr[jj]);
                                float* xs = xr + jj;
                                float* xt = xs + rs;
                                a0 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xs), a0);
                                a1 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xs + Lanes), a1);
                                a2 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xs + (2 * Lanes)), a2);
                                a3 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xs + (3 * Lanes)), a3);
                                b0 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xt), b0);
                                b1 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xt + Lanes), b1);
                                b2 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xt + (2 * Lanes)), b2);
                                b3 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xt + (3 * Lanes)), b3);
                            }
                        }
                    }
                    StoreGroup(yRow + j, wo - j, a0, a1, a2, a3, lastMask);
                    StoreGroup(yRow + wo + j, wo - j, b0, b1, b2, b3, lastMask);
                }
            }
            for (; h < ho; h++)
            {
                float* yRow = y0 + (h * wo);
                for (int j = 0; j < wo; j += 4 * Lanes)
                {
                    Vector256<float> a0 = bv, a1 = bv, a2 = bv, a3 = bv;
                    for (int ci = 0; ci < c; ci++)
                    {
                        for (int i = 0; i < 3; i++)
                        {
                            float* xr = x0 + (ci * planeP) + ((h + i) * rs) + j;
                            float* wr = w0 + (ci * 9) + (i * 3);
                            for (int jj = 0; jj < 3; jj++)
                            {
                                var wv = Vector256.Create(wr[jj]);
                                float* xs = xr + jj;
                                a0 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xs), a0);
                                a1 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xs + Lanes), a1);
                                a2 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xs + (2 * Lanes)), a2);
                                a3 = Fma.MultiplyAdd(wv, Avx.LoadVector256(xs + (3 * Lanes)), a3);
                            }
                        }
                    }
                    StoreGroup(yRow + j, wo - j, a0, a1, a2, a3, lastMask);
                }
            }
        }
    }

    /// <summary>
    /// Stores up to four vectors at <paramref name="at"/>, of which <paramref name="left"/> values still belong to the
    /// row: whole vectors plainly, the row's last partial vector masked, vectors past the row's end not at all.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreGroup(float* at, int left, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2,
        Vector256<float> v3, Vector256<float> lastMask)
    {
        StoreRowEnd(at, v0, left >= Lanes, lastMask);
        if (left > Lanes)
        {
            StoreRowEnd(at + Lanes, v1, left >= 2 * Lanes, lastMask);
        }
        if (left > 2 * Lanes)
        {
            StoreRowEnd(at + (2 * Lanes), v2, left >= 3 * Lanes, lastMask);
        }
        if (left > 3 * Lanes)
        {
            StoreRowEnd(at + (3 * Lanes), v3, left >= 4 * Lanes, lastMask);
        }
    }

    // Masked stores never touch the lanes past the row's end (which may be past the buffer's end).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRowEnd(float* at, Vector256<float> v, bool whole, Vector256<float> mask)
    {
        if (whole)
        {
            Avx.Store(at, v);
        }
        else
        {
            Avx.MaskStore(at, mask, v);
        }
    }

    private static void ForwardPlaneScalar(ReadOnlySpan<float> padded, int c, int planeP, int rs, int ho, int wo,
        ReadOnlySpan<float> wk, float b, Span<float> plane)
    {
        for (int h = 0; h < ho; h++)
        {
            for (int j = 0; j < wo; j++)
            {
                float a = b;
                for (int ci = 0; ci < c; ci++)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        int at = (ci * planeP) + ((h + i) * rs) + j;
                        a += (wk[(ci * 9) + (i * 3)] * padded[at]) + (wk[(ci * 9) + (i * 3) + 1] * padded[at + 1])
                            + (wk[(ci * 9) + (i * 3) + 2] * padded[at + 2]);
                    }
                }
                plane[(h * wo) + j] = a;
            }
        }
    }

    /// <summary>
    /// sums[i·3 + j] = Σ_h,w g[h, w] · xp[h + i, w + j] for one output-gradient plane and one padded input plane, and
    /// sums[9] = Σ_h,w g[h, w].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightGradientPlaneAvx(ReadOnlySpan<float> xp, int rs, int ho, int wo, ReadOnlySpan<float> gPlane, Span<float> sums)
    {
        Vector256<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default,
            s20 = default, s21 = default, s22 = default, sg = default;
        var lastMask = AvxLanes.Mask(wo - ((wo - 1) / Lanes * Lanes));
        fixed (float* x0 = xp, g0 = gPlane)
        {
            for (int h = 0; h < ho; h++)
            {
                float* gRow = g0 + (h * wo);
                float* r0 = x0 + (h * rs);
                float* r1 = r0 + rs;
                float* r2 = r1 + rs;
                for (int j = 0; j < wo; j += Lanes)
                {
                    // The row's last vector masks the input loads as well as the gradient: lanes past the output width
                    // can hold real pixels (a NaN there would make 0 · NaN = NaN in a tap that never sees it).
                    var mask = j + Lanes <= wo ? Vector256<float>.AllBitsSet : lastMask;
                    var gv = Avx.MaskLoad(gRow + j, mask);
                    sg += gv;
                    s00 = Fma.MultiplyAdd(gv, Avx.MaskLoad(r0 + j, mask), s00);
                    s01 = Fma.MultiplyAdd(gv, Avx.MaskLoad(r0 + j + 1, mask), s01);
                    s02 = Fma.MultiplyAdd(gv, Avx.MaskLoad(r0 + j + 2, mask), s02);
                    s10 = Fma.MultiplyAdd(gv, Avx.MaskLoad(r1 + j, mask), s10);
                    s11 = Fma.MultiplyAdd(gv, Avx.MaskLoad(r1 + j + 1, mask), s11);
                    s12 = Fma.MultiplyAdd(gv, Avx.MaskLoad(r1 + j + 2, mask), s12);
                    s20 = Fma.MultiplyAdd(gv, Avx.MaskLoad(r2 + j, mask), s20);
                    s21 = Fma.MultiplyAdd(gv, Avx.MaskLoad(r2 + j + 1, mask), s21);
                    s22 = Fma.MultiplyAdd(gv, Avx.MaskLoad(r2 + j + 2, mask), s22);
                }
            }
        }
        sums[0] = Vector256.Sum(s00);
        sums[1] = Vector256.Sum(s01);
        sums[2] = Vector256.Sum(s02);
        sums[3] = Vector256.Sum(s10);
        sums[4] = Vector256.Sum(s11);
        sums[5] = Vector256.Sum(s12);
        sums[6] = Vector256.Sum(s20);
        sums[7] = Vector256.Sum(s21);
        sums[8] = Vector256.Sum(s22);
        sums[9] = Vector256.Sum(sg);
    }

    private static void WeightGradientPlaneScalar(ReadOnlySpan<float> xp, int rs, int ho, int wo, ReadOnlySpan<float> gPlane, Span<float> sums)
    {
        for (int k = 0; k < 9; k++)
        {
            int i = k / 3, jj = k % 3;
            float s = 0f;
            for (int h = 0; h < ho; h++)
            {
                for (int j = 0; j < wo; j++)
                {
                    s += gPlane[(h * wo) + j] * xp[((h + i) * rs) + j + jj];
                }
            }
            sums[k] = s;
        }
        float total = 0f;
        for (int i = 0; i < ho * wo; i++)
        {
            total += gPlane[i];
        }
        sums[9] = total;
    }
}
