using System.Runtime.CompilerServices;

namespace DeepMetric.Tensors;

/// <summary>
/// The backward transforms of Winograd F(4×4, 3×3) (Lavin &amp; Gray, "Fast Algorithms for Convolutional Neural
/// Networks", CVPR 2016): the exact adjoints of the forward Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A with interpolation points
/// 0, ±1, ±2, ∞. <see cref="OutputGradient"/> is dM = A dY Aᵀ per 4×4 output tile (with the bias-gradient sums),
/// <see cref="InputGradient"/> dd = B dV Bᵀ per 6×6 input tile, scatter-added over the tiles' 2-wide overlaps, and
/// <see cref="WeightGradient"/> dg = Gᵀ dU G. Layouts as the forward's: dU [36][O][C], dV [36][C][T], dM [36][O][T],
/// ξ = 6·r + s, tile t = (image·rows + ti − ti0)·Tw + tj.
/// </summary>
/// <remarks>
/// The SIMD code (<see cref="WinogradF4BackwardAvx"/>) does the same float operations in the same order per element as
/// the scalar code here, so both give the same bits (the bias sums excepted: they are summed lane by lane there).
/// In <see cref="InputGradient"/> each 6×6 block is first combined along its rows with the two columns the tile on its
/// left left over (P_j + carry), and only then added to the plane; the plane's rows are completed tile row by tile
/// row, top to bottom.
/// </remarks>
internal static class WinogradF4Backward
{
    /// <summary>Transformed elements per tile (6×6).</summary>
    public const int Xi = 36;

    [ThreadStatic]
    private static bool t_force;

    /// <summary>
    /// When true on this thread, every unpooled Winograd backward pass of a 3×3 stride-1 convolution uses F(4×4, 3×3),
    /// whatever its shape (tests reach it with small shapes; <see cref="WinogradF4.ForceF2"/> still wins).
    /// </summary>
    internal static bool Force
    {
        get => t_force;
        set => t_force = value;
    }

    private static bool Vectorised => WinogradF4BackwardAvx.IsSupported && !Winograd.ForceScalar;

    /// <summary>Tile rows per image.</summary>
    public static int TilesH(in ConvGeometry g) => (g.Ho + 3) / 4;

    /// <summary>Tile columns per image.</summary>
    public static int TilesW(in ConvGeometry g) => (g.Wo + 3) / 4;

    /// <summary>Floats per row of the plane <see cref="InputGradient"/> accumulates into: room for whole vector blocks of 8 tiles.</summary>
    internal static int PlaneStride(in ConvGeometry g) => (4 * ((TilesW(g) + 7) & ~7)) + 8;

    /// <summary>Floats of plane scratch <see cref="InputGradient"/> needs.</summary>
    public static int PlaneScratch(in ConvGeometry g) => ((4 * TilesH(g)) + 2) * PlaneStride(g);

    /// <summary>
    /// dM = A dY Aᵀ per tile (output positions past Ho×Wo count as zero), from dy [count, O, Ho, Wo] into
    /// dM [36][O][T]. When <paramref name="biasSum"/> is not empty each output channel's gradient sum is added to it.
    /// With a row range only tile rows [<paramref name="ti0"/>, <paramref name="ti1"/>) are transformed (and summed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradient(ReadOnlySpan<float> dy, int count, int o, in ConvGeometry g, Span<float> dm, Span<double> biasSum = default,
        int ti0 = 0, int ti1 = -1)
    {
        int th = TilesH(g), tw = TilesW(g), ho = g.Ho, wo = g.Wo;
        ti1 = Winograd.TileRows(ti0, ti1, th, "WinogradF4Backward.OutputGradient");
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ot = o * tAll, plane = ho * wo;
        if (dm.Length < (long)Xi * ot || dy.Length < (long)count * o * plane)
        {
            throw new ArgumentException("WinogradF4Backward.OutputGradient: buffers too small.", nameof(dm));
        }
        if (!biasSum.IsEmpty && biasSum.Length < o)
        {
            throw new ArgumentException("WinogradF4Backward.OutputGradient: one bias sum per output channel is needed.", nameof(biasSum));
        }
        if (Vectorised)
        {
            WinogradF4BackwardAvx.OutputGradient(dy, count, o, g, dm, biasSum, ti0, ti1);
            return;
        }
        Span<float> r = stackalloc float[24];
        for (int b = 0; b < count; b++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                var src = dy.Slice(((b * o) + oc) * plane, plane);
                int dst = (oc * tAll) + (b * tPer);
                float sum = 0f;
                for (int ti = ti0; ti < ti1; ti++)
                {
                    for (int tj = 0; tj < tw; tj++)
                    {
                        // A along each of the 4 rows (zeros past the output's edge), into r[i·6 + s].
                        for (int i = 0; i < 4; i++)
                        {
                            int row = (4 * ti) + i, col = 4 * tj;
                            float y0 = 0f, y1 = 0f, y2 = 0f, y3 = 0f;
                            if (row < ho)
                            {
                                int at = (row * wo) + col;
                                y0 = src[at];
                                y1 = col + 1 < wo ? src[at + 1] : 0f;
                                y2 = col + 2 < wo ? src[at + 2] : 0f;
                                y3 = col + 3 < wo ? src[at + 3] : 0f;
                                sum += (y0 + y1) + (y2 + y3);
                            }
                            A(y0, y1, y2, y3, out r[6 * i], out r[(6 * i) + 1], out r[(6 * i) + 2], out r[(6 * i) + 3], out r[(6 * i) + 4], out r[(6 * i) + 5]);
                        }
                        // Then A down each of the 6 columns, into dM[6·r + s].
                        int t = dst + ((ti - ti0) * tw) + tj;
                        for (int s = 0; s < 6; s++)
                        {
                            A(r[s], r[6 + s], r[12 + s], r[18 + s], out float m0, out float m1, out float m2, out float m3, out float m4, out float m5);
                            dm[(s * ot) + t] = m0;
                            dm[((6 + s) * ot) + t] = m1;
                            dm[((12 + s) * ot) + t] = m2;
                            dm[((18 + s) * ot) + t] = m3;
                            dm[((24 + s) * ot) + t] = m4;
                            dm[((30 + s) * ot) + t] = m5;
                        }
                    }
                }
                if (!biasSum.IsEmpty)
                {
                    biasSum[oc] += sum;
                }
            }
        }
    }

    /// <summary>A·y for the 6×4 matrix A (rows [1,0,0,0], [1,1,1,1], [1,−1,1,−1], [1,2,4,8], [1,−2,4,−8], [0,0,0,1]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void A(float y0, float y1, float y2, float y3, out float a0, out float a1, out float a2, out float a3, out float a4, out float a5)
    {
        float p = y0 + y2, q = y1 + y3, p2 = y0 + (4f * y2), q2 = (2f * y1) + (8f * y3);
        a0 = y0;
        a1 = p + q;
        a2 = p - q;
        a3 = p2 + q2;
        a4 = p2 - q2;
        a5 = y3;
    }

    /// <summary>B·x for the 6×6 matrix B = (Bᵀ)ᵀ of the forward input transform.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void B(float x0, float x1, float x2, float x3, float x4, float x5,
        out float b0, out float b1, out float b2, out float b3, out float b4, out float b5)
    {
        float d12 = x1 - x2, d43 = x4 - x3, s12 = x1 + x2, s34 = x3 + x4;
        b0 = 4f * x0;
        b1 = (4f * (x5 - d12)) + (2f * d43);
        b2 = -(((5f * x0) + (4f * s12)) + s34);
        b3 = (d12 - (2f * d43)) - (5f * x5);
        b4 = (x0 + s12) + s34;
        b5 = x5;
    }

    /// <summary>
    /// The adjoint of the forward input transform: dd = B dV Bᵀ per tile, summed over the overlapping tiles and cropped
    /// to the unpadded images, written (not added) to <paramref name="dx"/> [count, C, H, W].
    /// </summary>
    /// <remarks>
    /// With a row range, <paramref name="dv"/> holds only tile rows [<paramref name="ti0"/>, <paramref name="ti1"/>)
    /// and only the input rows they reach (padded rows 4·ti0 … 4·ti1 + 1) are written. A band's top two padded rows are
    /// shared with the band above: when ti0 &gt; 0 their sums start from what <paramref name="dx"/> holds there, so bands
    /// written top to bottom leave exactly the bits of one whole-image call.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(ReadOnlySpan<float> dv, int count, in ConvGeometry g, Span<float> dx, Span<float> plane, int ti0 = 0, int ti1 = -1)
    {
        int th = TilesH(g), tw = TilesW(g), c = g.C, ps = PlaneStride(g);
        ti1 = Winograd.TileRows(ti0, ti1, th, "WinogradF4Backward.InputGradient");
        int tPer = (ti1 - ti0) * tw, tAll = count * tPer, ct = c * tAll;
        if (dx.Length < (long)count * c * g.PlaneIn || dv.Length < (long)Xi * ct || plane.Length < PlaneScratch(g))
        {
            throw new ArgumentException("WinogradF4Backward.InputGradient: buffers too small.", nameof(dv));
        }
        if (Vectorised)
        {
            WinogradF4BackwardAvx.InputGradient(dv, count, g, dx, plane, ti0, ti1);
            return;
        }
        // The band's padded rows [4·ti0, 4·ti1 + 2), local row 0 = padded row 4·ti0.
        int rows = (4 * (ti1 - ti0)) + 2, r0 = 4 * ti0;
        var pl = plane[..(rows * ps)];
        Span<float> q = stackalloc float[36];
        Span<float> p = stackalloc float[36];
        Span<float> carry = stackalloc float[12];
        for (int b = 0; b < count; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                pl.Clear();
                var dst = dx.Slice(((b * c) + ch) * g.PlaneIn, g.PlaneIn);
                LoadHalo(dst, g, pl, ps, r0, ti0);
                int inBase = (ch * tAll) + (b * tPer);
                for (int ti = ti0; ti < ti1; ti++)
                {
                    int lr = 4 * (ti - ti0);
                    carry.Clear();
                    for (int tj = 0; tj < tw; tj++)
                    {
                        int t = inBase + ((ti - ti0) * tw) + tj;
                        // B along each transformed row (over s), into q[r·6 + j]; then B down each column, into p[i·6 + j].
                        for (int rr = 0; rr < 6; rr++)
                        {
                            int at = (6 * rr * ct) + t;
                            B(dv[at], dv[at + ct], dv[at + (2 * ct)], dv[at + (3 * ct)], dv[at + (4 * ct)], dv[at + (5 * ct)],
                                out q[6 * rr], out q[(6 * rr) + 1], out q[(6 * rr) + 2], out q[(6 * rr) + 3], out q[(6 * rr) + 4], out q[(6 * rr) + 5]);
                        }
                        for (int j = 0; j < 6; j++)
                        {
                            B(q[j], q[6 + j], q[12 + j], q[18 + j], q[24 + j], q[30 + j],
                                out p[j], out p[6 + j], out p[12 + j], out p[18 + j], out p[24 + j], out p[30 + j]);
                        }
                        for (int i = 0; i < 6; i++)
                        {
                            var row = pl.Slice(((lr + i) * ps) + (4 * tj), 4);
                            row[0] += p[6 * i] + carry[2 * i];
                            row[1] += p[(6 * i) + 1] + carry[(2 * i) + 1];
                            row[2] += p[(6 * i) + 2];
                            row[3] += p[(6 * i) + 3];
                            carry[2 * i] = p[(6 * i) + 4];
                            carry[(2 * i) + 1] = p[(6 * i) + 5];
                        }
                    }
                    // The last tile's two right columns.
                    for (int i = 0; i < 6; i++)
                    {
                        int at = ((lr + i) * ps) + (4 * tw);
                        pl[at] += 0f + carry[2 * i];
                        pl[at + 1] += 0f + carry[(2 * i) + 1];
                    }
                }
                StoreRows(pl, ps, g, dst, r0, rows);
            }
        }
    }

    /// <summary>The halo rows' partial sums from the band above (none for the first band) into the band's plane.</summary>
    internal static void LoadHalo(ReadOnlySpan<float> dst, in ConvGeometry g, Span<float> pl, int ps, int r0, int ti0)
    {
        if (ti0 == 0)
        {
            return;
        }
        int pad = g.Padding;
        for (int h = Math.Max(0, r0 - pad); h < Math.Min(g.H, r0 + 2 - pad); h++)
        {
            dst.Slice(h * g.W, g.W).CopyTo(pl.Slice(((h + pad - r0) * ps) + pad, g.W));
        }
    }

    /// <summary>The band's rows of the plane, cropped to the image, into dx.</summary>
    internal static void StoreRows(ReadOnlySpan<float> pl, int ps, in ConvGeometry g, Span<float> dst, int r0, int rows)
    {
        int pad = g.Padding;
        for (int h = Math.Max(0, r0 - pad); h < Math.Min(g.H, r0 + rows - pad); h++)
        {
            pl.Slice(((h + pad - r0) * ps) + pad, g.W).CopyTo(dst.Slice(h * g.W, g.W));
        }
    }

    /// <summary>dg_{o,c} = Gᵀ dU_{o,c} G: the adjoint of the forward weight transform, written to dw [O, C, 3, 3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGradient(ReadOnlySpan<float> du, int o, int c, Span<float> dw)
    {
        int oc = o * c;
        if (du.Length < (long)Xi * oc || dw.Length < (long)oc * 9)
        {
            throw new ArgumentException("WinogradF4Backward.WeightGradient: buffers too small.", nameof(dw));
        }
        WeightGradientRange(du, oc, dw, 0, oc);
    }

    /// <summary>
    /// <see cref="WeightGradient"/> for the (o, c) pairs [<paramref name="k0"/>, <paramref name="k1"/>) of
    /// <paramref name="oc"/> (the pairs are independent: ranges of them can run on different threads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightGradientRange(ReadOnlySpan<float> du, int oc, Span<float> dw, int k0, int k1)
    {
        if (Vectorised)
        {
            k0 = WinogradF4BackwardAvx.WeightGradient(du, oc, dw, k0, k1);
        }
        Span<float> t = stackalloc float[18];
        for (int k = k0; k < k1; k++)
        {
            // t = Gᵀ dU (3×6), down each column s; then (·) G along each row.
            for (int s = 0; s < 6; s++)
            {
                Gt(du[(s * oc) + k], du[((6 + s) * oc) + k], du[((12 + s) * oc) + k], du[((18 + s) * oc) + k], du[((24 + s) * oc) + k],
                    du[((30 + s) * oc) + k], out t[s], out t[6 + s], out t[12 + s]);
            }
            var gk = dw.Slice(k * 9, 9);
            for (int i = 0; i < 3; i++)
            {
                Gt(t[6 * i], t[(6 * i) + 1], t[(6 * i) + 2], t[(6 * i) + 3], t[(6 * i) + 4], t[(6 * i) + 5], out gk[3 * i], out gk[(3 * i) + 1], out gk[(3 * i) + 2]);
            }
        }
    }

    internal const float Sixth = 1f / 6f;
    internal const float Twelfth = 1f / 12f;
    internal const float TwentyFourth = 1f / 24f;

    /// <summary>Gᵀ·x for the 3×6 matrix Gᵀ (rows [1/4, −1/6, −1/6, 1/24, 1/24, 0], [0, −1/6, 1/6, 1/12, −1/12, 0], [0, −1/6, −1/6, 1/6, 1/6, 1]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Gt(float x0, float x1, float x2, float x3, float x4, float x5, out float r0, out float r1, out float r2)
    {
        float s12 = x1 + x2, s34 = x3 + x4;
        r0 = ((0.25f * x0) - (Sixth * s12)) + (TwentyFourth * s34);
        r1 = (Sixth * (x2 - x1)) + (Twelfth * (x3 - x4));
        r2 = (Sixth * (s34 - s12)) + x5;
    }
}
