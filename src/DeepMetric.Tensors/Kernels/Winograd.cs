using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepMetric.Tensors;

/// <summary>
/// Winograd minimal filtering F(2×2, 3×3) for 3×3, stride-1, undilated convolutions (Lavin &amp; Gray,
/// "Fast Algorithms for Convolutional Neural Networks", CVPR 2016). Each 2×2 output tile comes from a 4×4
/// input tile (tiles overlap by 2): with V = Bᵀ d B per (channel, tile) and U = G g Gᵀ per (output, input
/// channel), the 16 element-wise products summed over channels are 16 independent GEMMs
/// M_ξ[O×T] = U_ξ[O×C] · V_ξ[C×T], and Y = Aᵀ M A. This needs 16 multiplies per tile and channel pair
/// instead of 36, i.e. 2.25× fewer GEMM flops than im2col.
/// </summary>
/// <remarks>
/// The backward pass is the exact adjoint of this forward computation ("transposed Winograd"):
/// dM = A dY Aᵀ per tile, dU_ξ = dM_ξ · V_ξᵀ (then dg = Gᵀ dU G) and dV_ξ = U_ξᵀ · dM_ξ (then dd = B dV Bᵀ,
/// scatter-added over the overlapping tiles). Both gradients share dM, and the weight gradient needs V,
/// which is recomputed from the input per chunk, or per band of tile rows for large images (cheaper than keeping
/// [16, C, N·tiles] alive across the step).
/// Layouts: U and dU are [16][O][C], V and dV are [16][C][T], M and dM are [16][O][T], where tile
/// t = (image·Th + ti)·Tw + tj within a chunk of images, so every GEMM reads and writes contiguous rows.
/// </remarks>
internal static class Winograd
{
    /// <summary>Number of transformed elements per tile (4×4).</summary>
    public const int Xi = 16;

    [ThreadStatic]
    private static bool t_forceIm2Col;

    [ThreadStatic]
    private static bool t_forceWinograd;

    /// <summary>When true on this thread, 3×3 convolutions take the im2col path (tests and benchmarks compare both).</summary>
    internal static bool ForceIm2Col
    {
        get => t_forceIm2Col;
        set => t_forceIm2Col = value;
    }

    [ThreadStatic]
    private static int t_forceBandRows;

    /// <summary>
    /// When positive on this thread, forward Winograd convolutions (not pooled) and every Winograd backward pass run band
    /// by band, this many tile rows a band, whatever the cache budget says (tests reach the banded paths with small shapes).
    /// </summary>
    internal static int ForceBandRows
    {
        get => t_forceBandRows;
        set => t_forceBandRows = value;
    }

    [ThreadStatic]
    private static bool t_forceScalar;

    /// <summary>When true on this thread, the tile transforms use the portable scalar code even where AVX2 is available (tests cover both).</summary>
    internal static bool ForceScalar
    {
        get => t_forceScalar;
        set => t_forceScalar = value;
    }

    private static bool Vectorised => WinogradAvx.IsSupported && !t_forceScalar;

    /// <summary>When true on this thread, every convolution Winograd can compute uses it, however few channels.</summary>
    internal static bool ForceWinograd
    {
        get => t_forceWinograd;
        set => t_forceWinograd = value;
    }

    /// <summary>True when F(2×2, 3×3) computes this convolution.</summary>
    public static bool Applies(in ConvGeometry g) => g.Kh == 3 && g.Kw == 3 && g.Stride == 1 && g.Dilation == 1;

    /// <summary>Tile rows per image.</summary>
    public static int TilesH(in ConvGeometry g) => (g.Ho + 1) / 2;

    /// <summary>Tile columns per image.</summary>
    public static int TilesW(in ConvGeometry g) => (g.Wo + 1) / 2;

    /// <summary>
    /// The end of a range of tile rows [<paramref name="ti0"/>, <paramref name="ti1"/>) of the <paramref name="th"/>
    /// an image has (a negative <paramref name="ti1"/> means all of them), checked for <paramref name="caller"/>; shared
    /// by the F(2×2, 3×3) and F(4×4, 3×3) transforms.
    /// </summary>
    internal static int TileRows(int ti0, int ti1, int th, string caller)
    {
        ti1 = ti1 < 0 ? th : ti1;
        if (ti0 < 0 || ti1 > th || ti0 >= ti1)
        {
            throw new ArgumentOutOfRangeException(nameof(ti0), $"{caller}: tile rows [{ti0}, {ti1}) outside [0, {th}).");
        }
        return ti1;
    }

    /// <summary>Side lengths of the zero-padded plane that holds every input tile of one image channel.</summary>
    public static int PlaneH(in ConvGeometry g) => (2 * TilesH(g)) + 2;

    public static int PlaneW(in ConvGeometry g) => (2 * TilesW(g)) + 2;

    /// <summary>Floats of plane scratch that <see cref="TransformInput"/> and <see cref="InputGradient"/> need.</summary>
    public static int PlaneScratch(in ConvGeometry g) => Math.Max(PlaneH(g) * PlaneW(g), WinogradAvx.PlaneScratch(g));

    /// <summary>U[ξ][o][c] = (G g_{o,c} Gᵀ)_ξ for weights [O, C, 3, 3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformWeights(ReadOnlySpan<float> w, int o, int c, Span<float> u)
    {
        int oc = o * c;
        if (w.Length < oc * 9 || u.Length < Xi * oc)
        {
            throw new ArgumentException("Winograd.TransformWeights: buffers too small.", nameof(u));
        }
        // Each (o, c) pair is independent: the pairs are split over the worker ranges when there are enough of them
        // (256×256 weights took 5 ms on one thread, most of a batch-1 forward of that layer).
        if (oc >= ParallelWeightPairs && !t_forceScalar)
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

    // Below this many (o, c) pairs the weight transform runs on the calling thread.
    private const int ParallelWeightPairs = 4096;

    // Pairs [k0, k1) of TransformWeights; the SIMD path does the same float operations in the same order per pair.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformWeightsRange(ReadOnlySpan<float> w, int oc, Span<float> u, int k0, int k1)
    {
        if (Vectorised)
        {
            k0 = WinogradAvx.TransformWeights(w, oc, u, k0, k1);
        }
        Span<float> t = stackalloc float[12];
        for (int k = k0; k < k1; k++)
        {
            var g = w.Slice(k * 9, 9);
            // t = G g (4×3): rows g0, (g0+g1+g2)/2, (g0−g1+g2)/2, g2.
            for (int j = 0; j < 3; j++)
            {
                float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                t[j] = g0;
                t[3 + j] = 0.5f * (g0 + g1 + g2);
                t[6 + j] = 0.5f * (g0 - g1 + g2);
                t[9 + j] = g2;
            }
            // U = t Gᵀ (4×4), the same combination along each row.
            for (int i = 0; i < 4; i++)
            {
                float a = t[3 * i], b = t[(3 * i) + 1], cc = t[(3 * i) + 2];
                int at = (4 * i * oc) + k;
                u[at] = a;
                u[at + oc] = 0.5f * (a + b + cc);
                u[at + (2 * oc)] = 0.5f * (a - b + cc);
                u[at + (3 * oc)] = cc;
            }
        }
    }

    /// <summary>dg_{o,c} = Gᵀ dU_{o,c} G: the adjoint of <see cref="TransformWeights"/>, written to dw [O, C, 3, 3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGradient(ReadOnlySpan<float> du, int o, int c, Span<float> dw)
    {
        int oc = o * c;
        if (du.Length < Xi * oc || dw.Length < oc * 9)
        {
            throw new ArgumentException("Winograd.WeightGradient: buffers too small.", nameof(dw));
        }
        int k0 = Vectorised ? WinogradAvx.WeightGradient(du, oc, dw, 0, oc) : 0;
        Span<float> t = stackalloc float[12];
        for (int k = k0; k < oc; k++)
        {
            // t = Gᵀ dU (3×4): rows x0 + (x1+x2)/2, (x1−x2)/2, (x1+x2)/2 + x3.
            for (int j = 0; j < 4; j++)
            {
                float x0 = du[(j * oc) + k], x1 = du[((4 + j) * oc) + k], x2 = du[((8 + j) * oc) + k], x3 = du[((12 + j) * oc) + k];
                float h = 0.5f * (x1 + x2);
                t[j] = x0 + h;
                t[4 + j] = 0.5f * (x1 - x2);
                t[8 + j] = h + x3;
            }
            var g = dw.Slice(k * 9, 9);
            for (int i = 0; i < 3; i++)
            {
                float x0 = t[4 * i], x1 = t[(4 * i) + 1], x2 = t[(4 * i) + 2], x3 = t[(4 * i) + 3];
                float h = 0.5f * (x1 + x2);
                g[3 * i] = x0 + h;
                g[(3 * i) + 1] = 0.5f * (x1 - x2);
                g[(3 * i) + 2] = h + x3;
            }
        }
    }

    /// <summary>
    /// dst [cols×rows] = the transpose of the row-major <paramref name="rows"/>×<paramref name="cols"/> matrix
    /// <paramref name="src"/>. The weight-gradient products dU_ξ += dM_ξ · V_ξᵀ take V_ξ transposed to [T×C]:
    /// BLAS products whose second operand has its depth contiguous ran at half the speed of plain ones on these shapes.
    /// </summary>
    public static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        if (src.Length < rows * cols || dst.Length < rows * cols)
        {
            throw new ArgumentException("Winograd.Transpose: buffers too small.", nameof(dst));
        }
        if (Vectorised)
        {
            WinogradAvx.Transpose(src, rows, cols, dst);
            return;
        }
        Kernels.Transpose2D(src[..(rows * cols)], dst, rows, cols);
    }

    /// <summary>
    /// V[ξ][c][t] = (Bᵀ d B)_ξ for every 4×4 input tile d of <paramref name="count"/> images [C, H, W];
    /// <paramref name="plane"/> is scratch of at least <see cref="PlaneH"/>·<see cref="PlaneW"/> floats. With a row
    /// range only tile rows [<paramref name="ti0"/>, <paramref name="ti1"/>) are transformed (a band of the image that
    /// keeps V in cache when a whole image's would not), and t counts the band's tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformInput(ReadOnlySpan<float> x, int count, in ConvGeometry g, Span<float> v, Span<float> plane, int ti0 = 0, int ti1 = -1)
    {
        int th = TilesH(g), tw = TilesW(g), hq = PlaneH(g), wq = PlaneW(g), c = g.C;
        ti1 = TileRows(ti0, ti1, th, "Winograd.TransformInput");
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ct = c * tAll;
        if (x.Length < count * c * g.PlaneIn || v.Length < Xi * ct || plane.Length < PlaneScratch(g))
        {
            throw new ArgumentException("Winograd.TransformInput: buffers too small.", nameof(v));
        }
        if (Vectorised)
        {
            WinogradAvx.TransformInput(x, count, g, v, plane, ti0, ti1);
            return;
        }
        var pl = plane[..(hq * wq)];
        pl.Clear();
        ref float p0 = ref MemoryMarshal.GetReference(pl);
        ref float v0 = ref MemoryMarshal.GetReference(v);
        int pad = g.Padding;
        // Input rows the band's tiles read (plane rows [2·ti0, 2·ti1 + 2)); the others are never copied.
        int h0 = Math.Max(0, (2 * ti0) - pad), h1 = Math.Min(g.H, (2 * ti1) + 2 - pad);
        for (int b = 0; b < count; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                // The interior is rewritten for every plane; the zero border stays.
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
                        ref float d = ref Unsafe.Add(ref p0, (2 * ti * wq) + (2 * tj));
                        ref float o = ref Unsafe.Add(ref v0, outBase + ((ti - ti0) * tw) + tj);
                        TransformInputTile(ref d, wq, ref o, ct);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformInputTile(ref float d, int ld, ref float o, int stride)
    {
        // Bᵀ d B: the combination [x0 − x2, x1 + x2, x2 − x1, x1 − x3] down each column, then along each row.
        Bt(Unsafe.Add(ref d, 0), Unsafe.Add(ref d, ld), Unsafe.Add(ref d, 2 * ld), Unsafe.Add(ref d, 3 * ld), out float a00, out float a10, out float a20, out float a30);
        Bt(Unsafe.Add(ref d, 1), Unsafe.Add(ref d, ld + 1), Unsafe.Add(ref d, (2 * ld) + 1), Unsafe.Add(ref d, (3 * ld) + 1), out float a01, out float a11, out float a21, out float a31);
        Bt(Unsafe.Add(ref d, 2), Unsafe.Add(ref d, ld + 2), Unsafe.Add(ref d, (2 * ld) + 2), Unsafe.Add(ref d, (3 * ld) + 2), out float a02, out float a12, out float a22, out float a32);
        Bt(Unsafe.Add(ref d, 3), Unsafe.Add(ref d, ld + 3), Unsafe.Add(ref d, (2 * ld) + 3), Unsafe.Add(ref d, (3 * ld) + 3), out float a03, out float a13, out float a23, out float a33);
        BtStore(ref o, 0, stride, a00, a01, a02, a03);
        BtStore(ref o, 4 * stride, stride, a10, a11, a12, a13);
        BtStore(ref o, 8 * stride, stride, a20, a21, a22, a23);
        BtStore(ref o, 12 * stride, stride, a30, a31, a32, a33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt(float x0, float x1, float x2, float x3, out float b0, out float b1, out float b2, out float b3)
    {
        b0 = x0 - x2;
        b1 = x1 + x2;
        b2 = x2 - x1;
        b3 = x1 - x3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BtStore(ref float o, int at, int stride, float x0, float x1, float x2, float x3)
    {
        Unsafe.Add(ref o, at) = x0 - x2;
        Unsafe.Add(ref o, at + stride) = x1 + x2;
        Unsafe.Add(ref o, at + (2 * stride)) = x2 - x1;
        Unsafe.Add(ref o, at + (3 * stride)) = x1 - x3;
    }

    /// <summary>
    /// The adjoint of <see cref="TransformInput"/>: dd = B dV Bᵀ per tile, summed over the overlapping tiles and
    /// cropped to the unpadded images, written (not added) to <paramref name="dx"/> [count, C, H, W].
    /// </summary>
    /// <remarks>
    /// With a row range, <paramref name="dv"/> holds only tile rows [<paramref name="ti0"/>, <paramref name="ti1"/>)
    /// and only the input rows they reach (padded rows 2·ti0 … 2·ti1 + 1) are written. A band's top two padded rows are
    /// shared with the band above: when ti0 &gt; 0 their sums start from what <paramref name="dx"/> holds there, so
    /// bands written top to bottom leave exactly the bits of one whole-image call (every element gets its tiles' terms
    /// in the same order).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(ReadOnlySpan<float> dv, int count, in ConvGeometry g, Span<float> dx, Span<float> plane, int ti0 = 0, int ti1 = -1)
    {
        int th = TilesH(g), tw = TilesW(g), wq = PlaneW(g), c = g.C;
        ti1 = TileRows(ti0, ti1, th, "Winograd.InputGradient");
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ct = c * tAll;
        if (dx.Length < count * c * g.PlaneIn || dv.Length < Xi * ct || plane.Length < PlaneScratch(g))
        {
            throw new ArgumentException("Winograd.InputGradient: buffers too small.", nameof(dv));
        }
        if (Vectorised)
        {
            WinogradAvx.InputGradient(dv, count, g, dx, plane, ti0, ti1);
            return;
        }
        // The band's padded rows [2·ti0, 2·ti1 + 2), local row 0 = padded row 2·ti0.
        int rows = (2 * (ti1 - ti0)) + 2, r0 = 2 * ti0;
        var pl = plane[..(rows * wq)];
        ref float p0 = ref MemoryMarshal.GetReference(pl);
        ref float v0 = ref MemoryMarshal.GetReference(dv);
        int pad = g.Padding;
        for (int b = 0; b < count; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                pl.Clear();
                var dst = dx.Slice(((b * c) + ch) * g.PlaneIn, g.PlaneIn);
                if (ti0 > 0)
                {
                    // The halo rows' partial sums from the band above.
                    for (int h = Math.Max(0, r0 - pad); h < Math.Min(g.H, r0 + 2 - pad); h++)
                    {
                        dst.Slice(h * g.W, g.W).CopyTo(pl.Slice(((h + pad - r0) * wq) + pad, g.W));
                    }
                }
                int inBase = (ch * tAll) + (b * tPer);
                for (int ti = ti0; ti < ti1; ti++)
                {
                    for (int tj = 0; tj < tw; tj++)
                    {
                        ref float d = ref Unsafe.Add(ref p0, (2 * (ti - ti0) * wq) + (2 * tj));
                        ref float s = ref Unsafe.Add(ref v0, inBase + ((ti - ti0) * tw) + tj);
                        InputGradientTile(ref s, ct, ref d, wq);
                    }
                }
                for (int h = Math.Max(0, r0 - pad); h < Math.Min(g.H, r0 + rows - pad); h++)
                {
                    pl.Slice(((h + pad - r0) * wq) + pad, g.W).CopyTo(dst.Slice(h * g.W, g.W));
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradientTile(ref float s, int stride, ref float d, int ld)
    {
        // B X Bᵀ: the combination [x0, x1 − x2 + x3, x1 + x2 − x0, −x3] along each row, then down each column.
        int r = 4 * stride;
        B(Unsafe.Add(ref s, 0), Unsafe.Add(ref s, stride), Unsafe.Add(ref s, 2 * stride), Unsafe.Add(ref s, 3 * stride), out float a00, out float a01, out float a02, out float a03);
        B(Unsafe.Add(ref s, r), Unsafe.Add(ref s, r + stride), Unsafe.Add(ref s, r + (2 * stride)), Unsafe.Add(ref s, r + (3 * stride)), out float a10, out float a11, out float a12, out float a13);
        B(Unsafe.Add(ref s, 2 * r), Unsafe.Add(ref s, (2 * r) + stride), Unsafe.Add(ref s, (2 * r) + (2 * stride)), Unsafe.Add(ref s, (2 * r) + (3 * stride)), out float a20, out float a21, out float a22, out float a23);
        B(Unsafe.Add(ref s, 3 * r), Unsafe.Add(ref s, (3 * r) + stride), Unsafe.Add(ref s, (3 * r) + (2 * stride)), Unsafe.Add(ref s, (3 * r) + (3 * stride)), out float a30, out float a31, out float a32, out float a33);
        BAdd(ref d, 0, ld, a00, a10, a20, a30);
        BAdd(ref d, 1, ld, a01, a11, a21, a31);
        BAdd(ref d, 2, ld, a02, a12, a22, a32);
        BAdd(ref d, 3, ld, a03, a13, a23, a33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void B(float x0, float x1, float x2, float x3, out float b0, out float b1, out float b2, out float b3)
    {
        b0 = x0;
        b1 = x1 - x2 + x3;
        b2 = x1 + x2 - x0;
        b3 = -x3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BAdd(ref float d, int at, int ld, float x0, float x1, float x2, float x3)
    {
        Unsafe.Add(ref d, at) += x0;
        Unsafe.Add(ref d, at + ld) += x1 - x2 + x3;
        Unsafe.Add(ref d, at + (2 * ld)) += x1 + x2 - x0;
        Unsafe.Add(ref d, at + (3 * ld)) -= x3;
    }

    /// <summary>
    /// Y = Aᵀ M A per tile (plus <paramref name="bias"/>, if not empty), cropped to Ho×Wo and written to
    /// <paramref name="y"/> [count, O, Ho, Wo]; M is [16][O][T]. With a row range M holds only tile rows
    /// [<paramref name="ti0"/>, <paramref name="ti1"/>) and only their output rows of y are written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformOutput(ReadOnlySpan<float> m, int count, int o, in ConvGeometry g, ReadOnlySpan<float> bias, Span<float> y, int ti0 = 0, int ti1 = -1)
    {
        int th = TilesH(g), tw = TilesW(g), ho = g.Ho, wo = g.Wo;
        ti1 = TileRows(ti0, ti1, th, "Winograd.TransformOutput");
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        if (m.Length < Xi * ot || y.Length < count * o * plane)
        {
            throw new ArgumentException("Winograd.TransformOutput: buffers too small.", nameof(y));
        }
        if (Vectorised)
        {
            WinogradAvx.TransformOutput(m, count, o, g, bias, y, ti0, ti1);
            return;
        }
        ref float m0 = ref MemoryMarshal.GetReference(m);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        bool evenH = (ho & 1) == 0, evenW = (wo & 1) == 0;
        for (int b = 0; b < count; b++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                float bv = bias.IsEmpty ? 0f : bias[oc];
                ref float src = ref Unsafe.Add(ref m0, (oc * tAll) + (b * tPer));
                ref float dst = ref Unsafe.Add(ref y0, ((b * o) + oc) * plane);
                for (int ti = ti0; ti < ti1; ti++)
                {
                    bool row2 = evenH || ti < th - 1;
                    for (int tj = 0; tj < tw; tj++)
                    {
                        ref float t = ref Unsafe.Add(ref src, ((ti - ti0) * tw) + tj);
                        // Aᵀ M A: rows m0 + m1 + m2 and m1 − m2 − m3 down each column, then along the two rows.
                        At(ref t, 0, ot, out float s0, out float s4);
                        At(ref t, ot, ot, out float s1, out float s5);
                        At(ref t, 2 * ot, ot, out float s2, out float s6);
                        At(ref t, 3 * ot, ot, out float s3, out float s7);
                        int at = (2 * ti * wo) + (2 * tj);
                        bool col2 = evenW || tj < tw - 1;
                        Unsafe.Add(ref dst, at) = s0 + s1 + s2 + bv;
                        if (col2)
                        {
                            Unsafe.Add(ref dst, at + 1) = s1 - s2 - s3 + bv;
                        }
                        if (row2)
                        {
                            Unsafe.Add(ref dst, at + wo) = s4 + s5 + s6 + bv;
                            if (col2)
                            {
                                Unsafe.Add(ref dst, at + wo + 1) = s5 - s6 - s7 + bv;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="TransformOutput"/>: dM = A dY Aᵀ per tile (output positions past Ho×Wo count as
    /// zero), from dy [count, O, Ho, Wo] into dM [16][O][T]. When <paramref name="biasSum"/> is not empty, the sum of
    /// each output channel's gradient is added to it (the bias gradient, from the same read of dy). With a row range
    /// only tile rows [<paramref name="ti0"/>, <paramref name="ti1"/>) are transformed (and summed), t counting the
    /// band's tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradient(ReadOnlySpan<float> dy, int count, int o, in ConvGeometry g, Span<float> dm, Span<double> biasSum = default,
        int ti0 = 0, int ti1 = -1)
    {
        int th = TilesH(g), tw = TilesW(g), ho = g.Ho, wo = g.Wo;
        ti1 = TileRows(ti0, ti1, th, "Winograd.OutputGradient");
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        if (dm.Length < Xi * ot || dy.Length < count * o * plane)
        {
            throw new ArgumentException("Winograd.OutputGradient: buffers too small.", nameof(dm));
        }
        if (!biasSum.IsEmpty && biasSum.Length < o)
        {
            throw new ArgumentException("Winograd.OutputGradient: one bias sum per output channel is needed.", nameof(biasSum));
        }
        if (Vectorised)
        {
            WinogradAvx.OutputGradient(dy, count, o, g, dm, biasSum, ti0, ti1);
            return;
        }
        ref float m0 = ref MemoryMarshal.GetReference(dm);
        ref float y0 = ref MemoryMarshal.GetReference(dy);
        bool evenH = (ho & 1) == 0, evenW = (wo & 1) == 0;
        for (int b = 0; b < count; b++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                ref float dst = ref Unsafe.Add(ref m0, (oc * tAll) + (b * tPer));
                ref float src = ref Unsafe.Add(ref y0, ((b * o) + oc) * plane);
                float sum = 0f;
                for (int ti = ti0; ti < ti1; ti++)
                {
                    bool row2 = evenH || ti < th - 1;
                    for (int tj = 0; tj < tw; tj++)
                    {
                        bool col2 = evenW || tj < tw - 1;
                        int at = (2 * ti * wo) + (2 * tj);
                        float y00 = Unsafe.Add(ref src, at);
                        float y01 = col2 ? Unsafe.Add(ref src, at + 1) : 0f;
                        float y10 = row2 ? Unsafe.Add(ref src, at + wo) : 0f;
                        float y11 = row2 && col2 ? Unsafe.Add(ref src, at + wo + 1) : 0f;
                        sum += (y00 + y01) + (y10 + y11);
                        // A dY: rows y0, y0 + y1, y0 − y1, −y1; then (·) Aᵀ: [a, a + b, a − b, −b] per row.
                        float r00 = y00, r01 = y01;
                        float r10 = y00 + y10, r11 = y01 + y11;
                        float r20 = y00 - y10, r21 = y01 - y11;
                        float r30 = -y10, r31 = -y11;
                        ref float t = ref Unsafe.Add(ref dst, ((ti - ti0) * tw) + tj);
                        Store4(ref t, 0, ot, r00, r01);
                        Store4(ref t, 4 * ot, ot, r10, r11);
                        Store4(ref t, 8 * ot, ot, r20, r21);
                        Store4(ref t, 12 * ot, ot, r30, r31);
                    }
                }
                if (!biasSum.IsEmpty)
                {
                    biasSum[oc] += sum;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At(ref float t, int at, int ot, out float top, out float bottom)
    {
        float a0 = Unsafe.Add(ref t, at), a1 = Unsafe.Add(ref t, at + (4 * ot)), a2 = Unsafe.Add(ref t, at + (8 * ot)), a3 = Unsafe.Add(ref t, at + (12 * ot));
        top = a0 + a1 + a2;
        bottom = a1 - a2 - a3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(ref float t, int at, int stride, float a, float b)
    {
        Unsafe.Add(ref t, at) = a;
        Unsafe.Add(ref t, at + stride) = a + b;
        Unsafe.Add(ref t, at + (2 * stride)) = a - b;
        Unsafe.Add(ref t, at + (3 * stride)) = -b;
    }
}
