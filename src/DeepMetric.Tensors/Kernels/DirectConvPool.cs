using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// Direct 3×3, stride-1 convolution of a few-channel image fused with the 2×2 max-pool that follows it (and
/// optionally the ReLU after the pool), on 16-wide AVX-512 vectors: the full-resolution convolution never reaches
/// memory. The zero-padded image is stored with its even and odd columns apart, so one vector of lanes t holds the
/// convolution at output columns 2t (top-left/bottom-left of pool window t) in one accumulator and 2t + 1 in another;
/// the pool is then a lane-wise max of four accumulators. Four output channels share each loaded input vector.
/// </summary>
/// <remarks>
/// Each accumulator adds bias, then channel by channel, row by row, column by column, the same fused multiply-adds
/// in the same order as <see cref="DirectConv3x3"/>'s AVX path, so the pooled values are the same bits.
/// The weight gradient is computed from the pooled gradient and the pool winners directly: each pooled gradient
/// lands on exactly one convolution output, so dW[o, c, i, j] = Σ g · xpad[winner row + i, winner column + j]
/// without spreading the gradient into a full-size plane first. A window whose pooled value did not pass the ReLU
/// (not &gt; 0, or NaN) has 4 added to its winner code, which the pool's backward kernels treat as "no gradient".
/// </remarks>
internal static class DirectConvPool
{
    private const int Lanes = 16;

    /// <summary>Added to a window's winner code when the fused ReLU blocks its gradient.</summary>
    public const byte ReluBlocked = 4;

    /// <summary>True when this kernel computes the fused convolution + pool on this machine and thread.</summary>
    public static bool Applies(in ConvGeometry g) =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.VL.IsSupported && Fma.IsSupported
        && !DirectConv3x3.ForceScalar && !PoolKernels.ForceScalar
        && DirectConv3x3.Applies(g) && g.Ho >= 2 && g.Wo >= 2 && g.Ho % 2 == 0 && g.Wo % 2 == 0;

    // Floats per parity row: every pooled-column block of 16 lanes reads lanes t .. t + 16 of it.
    private static int ParityStride(in ConvGeometry g) => ((g.Wo / 2) + Lanes - 1) / Lanes * Lanes + Lanes;

    /// <summary>Floats of padded-image scratch one image needs.</summary>
    public static int PaddedScratch(in ConvGeometry g) => g.C * g.Hp * 2 * ParityStride(g);

    /// <summary>
    /// Copies one image [C, H, W] into zeroed padded planes [C, Hp, 2, S]: padded row r's even columns at [c, r, 0],
    /// its odd columns at [c, r, 1].
    /// </summary>
    private static unsafe void PadImage(ReadOnlySpan<float> img, in ConvGeometry g, Span<float> padded)
    {
        int s = ParityStride(g), p = g.Padding, h = g.H, w = g.W, hp = g.Hp;
        padded[..PaddedScratch(g)].Clear();
        fixed (float* src0 = img, dst0 = padded)
        {
            for (int ci = 0; ci < g.C; ci++)
            {
                for (int r = 0; r < h; r++)
                {
                    float* src = src0 + (ci * g.PlaneIn) + (r * w);
                    float* dst = dst0 + (((ci * hp) + r + p) * 2 * s);
                    for (int col = 0; col < w; col++)
                    {
                        int pc = col + p;
                        dst[((pc & 1) * s) + (pc >> 1)] = src[col];
                    }
                }
            }
        }
    }

    /// <summary>
    /// One image x [C, H, W]: y [O, Ho/2, Wo/2] = maxpool2(bias + w ⋆ x), with ReLU applied when
    /// <paramref name="relu"/>, and each window's winner code (0–3, plus <see cref="ReluBlocked"/>) in
    /// <paramref name="winners"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Forward(ReadOnlySpan<float> x, in ConvGeometry g, ReadOnlySpan<float> w, int o, ReadOnlySpan<float> bias,
        bool relu, Span<float> y, Span<byte> winners, Span<float> padded)
    {
        int c = g.C, hq = g.Ho / 2, wq = g.Wo / 2, s = ParityStride(g), rowStride = 2 * s, planeP = g.Hp * rowStride;
        if (x.Length < c * g.PlaneIn || y.Length < o * hq * wq || winners.Length < o * hq * wq || w.Length < o * c * 9
            || padded.Length < PaddedScratch(g) || (!bias.IsEmpty && bias.Length < o))
        {
            throw new ArgumentException("DirectConvPool.Forward: buffers too small.", nameof(y));
        }
        PadImage(x, g, padded);
        Span<float> b4 = stackalloc float[4];
        fixed (float* x0 = padded, w0 = w, y0 = y)
        fixed (byte* k0 = winners)
        {
            for (int ob = 0; ob < o; ob += 4)
            {
                int nb = Math.Min(4, o - ob);
                for (int k = 0; k < 4; k++)
                {
                    b4[k] = k < nb && !bias.IsEmpty ? bias[ob + k] : 0f;
                }
                // A short last block repeats its last channel (computed, not stored).
                int k1 = Math.Min(1, nb - 1), k2 = Math.Min(2, nb - 1), k3 = Math.Min(3, nb - 1);
                float* wa = w0 + (ob * c * 9), wb = w0 + ((ob + k1) * c * 9), wc = w0 + ((ob + k2) * c * 9), wd = w0 + ((ob + k3) * c * 9);
                for (int ph = 0; ph < hq; ph++)
                {
                    for (int t0 = 0; t0 < wq; t0 += Lanes)
                    {
                        // e/d: even/odd output column; 0/1: top/bottom row of the window; a–d: the four channels.
                        Vector512<float> ba = Vector512.Create(b4[0]), bb = Vector512.Create(b4[1]), bc = Vector512.Create(b4[2]), bd = Vector512.Create(b4[3]);
                        Vector512<float> ae0 = ba, ad0 = ba, ae1 = ba, ad1 = ba;
                        Vector512<float> be0 = bb, bd0 = bb, be1 = bb, bd1 = bb;
                        Vector512<float> ce0 = bc, cd0 = bc, ce1 = bc, cd1 = bc;
                        Vector512<float> de0 = bd, dd0 = bd, de1 = bd, dd1 = bd;
                        for (int ci = 0; ci < c; ci++)
                        {
                            for (int i = 0; i < 3; i++)
                            {
                                int wi = (ci * 9) + (i * 3);
                                float* top = x0 + (ci * planeP) + (((2 * ph) + i) * rowStride) + t0;
                                float* bot = top + rowStride;
                                var e0 = Vector512.Load(top);
                                var d0 = Vector512.Load(top + s);
                                var e1 = Vector512.Load(top + 1);
                                var d1 = Vector512.Load(top + s + 1);
                                var f0 = Vector512.Load(bot);
                                var g0 = Vector512.Load(bot + s);
                                var f1 = Vector512.Load(bot + 1);
                                var g1 = Vector512.Load(bot + s + 1);
                                Tap(wa + wi, e0, d0, e1, d1, f0, g0, f1, g1, ref ae0, ref ad0, ref ae1, ref ad1);
                                Tap(wb + wi, e0, d0, e1, d1, f0, g0, f1, g1, ref be0, ref bd0, ref be1, ref bd1);
                                Tap(wc + wi, e0, d0, e1, d1, f0, g0, f1, g1, ref ce0, ref cd0, ref ce1, ref cd1);
                                Tap(wd + wi, e0, d0, e1, d1, f0, g0, f1, g1, ref de0, ref dd0, ref de1, ref dd1);
                            }
                        }
                        int left = Math.Min(Lanes, wq - t0);
                        var mask = LaneMask(left);
                        int at = (ob * hq * wq) + (ph * wq) + t0, planeQ = hq * wq;
                        Pool(ae0, ad0, ae1, ad1, relu, mask, left, y0 + at, k0 + at);
                        if (nb > 1)
                        {
                            Pool(be0, bd0, be1, bd1, relu, mask, left, y0 + at + planeQ, k0 + at + planeQ);
                        }
                        if (nb > 2)
                        {
                            Pool(ce0, cd0, ce1, cd1, relu, mask, left, y0 + at + (2 * planeQ), k0 + at + (2 * planeQ));
                        }
                        if (nb > 3)
                        {
                            Pool(de0, dd0, de1, dd1, relu, mask, left, y0 + at + (3 * planeQ), k0 + at + (3 * planeQ));
                        }
                    }
                }
            }
        }
    }

    // One kernel row (three taps) of one output channel for a window row pair: top row from padded row r (even
    // columns e0, odd d0, shifted by one e1, d1), bottom row from r + 1 (f0, g0, f1, g1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tap(float* wr, Vector512<float> e0, Vector512<float> d0, Vector512<float> e1, Vector512<float> d1,
        Vector512<float> f0, Vector512<float> g0, Vector512<float> f1, Vector512<float> g1,
        ref Vector512<float> even0, ref Vector512<float> odd0, ref Vector512<float> even1, ref Vector512<float> odd1)
    {
        var w0 = Vector512.Create(wr[0]);
        var w1 = Vector512.Create(wr[1]);
        var w2 = Vector512.Create(wr[2]);
        // Output column 2t reads padded columns 2t, 2t+1, 2t+2 (e0, d0, e1); column 2t + 1 reads d0, e1, d1.
        even0 = Avx512F.FusedMultiplyAdd(w0, e0, even0);
        odd0 = Avx512F.FusedMultiplyAdd(w0, d0, odd0);
        even1 = Avx512F.FusedMultiplyAdd(w0, f0, even1);
        odd1 = Avx512F.FusedMultiplyAdd(w0, g0, odd1);
        even0 = Avx512F.FusedMultiplyAdd(w1, d0, even0);
        odd0 = Avx512F.FusedMultiplyAdd(w1, e1, odd0);
        even1 = Avx512F.FusedMultiplyAdd(w1, g0, even1);
        odd1 = Avx512F.FusedMultiplyAdd(w1, f1, odd1);
        even0 = Avx512F.FusedMultiplyAdd(w2, e1, even0);
        odd0 = Avx512F.FusedMultiplyAdd(w2, d1, odd0);
        even1 = Avx512F.FusedMultiplyAdd(w2, f1, even1);
        odd1 = Avx512F.FusedMultiplyAdd(w2, g1, odd1);
    }

    /// <summary>All ones in the first <paramref name="count"/> lanes (1 to 16).</summary>
    private static Vector512<float> LaneMask(int count) =>
        Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(count)).AsSingle();

    // The window's max of the four positions (top-left tl, top-right tr, bottom-left bl, bottom-right br) and its
    // winner code, stored in the first `left` lanes: the same rule as PoolKernels (first maximal position; a NaN
    // wins, the first one).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Pool(Vector512<float> tl, Vector512<float> tr, Vector512<float> bl, Vector512<float> br, bool relu,
        Vector512<float> mask, int left, float* y, byte* winners)
    {
        var unordered = Avx512F.CompareUnordered(tl, tr) | Avx512F.CompareUnordered(bl, br);
        if ((unordered & mask).AsInt32() != Vector512<int>.Zero)
        {
            PoolWithNaN(tl, tr, bl, br, relu, left, y, winners);
            return;
        }
        var m = Avx512F.Max(Avx512F.Max(tl, tr), Avx512F.Max(bl, br));
        var code = Vector512.ConditionalSelect(Vector512.Equals(bl, m).AsInt32(), Vector512.Create(2), Vector512.Create(3));
        code = Vector512.ConditionalSelect(Vector512.Equals(tr, m).AsInt32(), Vector512.Create(1), code);
        code = Vector512.ConditionalSelect(Vector512.Equals(tl, m).AsInt32(), Vector512<int>.Zero, code);
        if (relu)
        {
            // Blocked where the pooled value is not > 0; max(m, +0) is +0 for m = ±0 and below.
            code |= Vector512.ConditionalSelect(Vector512.GreaterThan(m, Vector512<float>.Zero).AsInt32(), Vector512<int>.Zero, Vector512.Create((int)ReluBlocked));
            m = Avx512F.Max(m, Vector512<float>.Zero);
        }
        Avx512F.MaskStore(y, mask, m);
        var bytes = Avx512F.ConvertToVector128Byte(code);
        Avx512BW.VL.MaskStore(winners, Avx512F.ConvertToVector128Byte(mask.AsInt32()), bytes);
    }

    // Rare: a NaN in a window. Lane by lane with the scalar rule.
    private static unsafe void PoolWithNaN(Vector512<float> tl, Vector512<float> tr, Vector512<float> bl, Vector512<float> br, bool relu,
        int left, float* y, byte* winners)
    {
        for (int l = 0; l < left; l++)
        {
            float m = PoolKernels.Window(tl.GetElement(l), tr.GetElement(l), bl.GetElement(l), br.GetElement(l), out int win);
            if (relu)
            {
                win += m > 0 ? 0 : ReluBlocked;
                m = float.IsNaN(m) ? m : MathF.Max(m, 0f);
            }
            y[l] = m;
            winners[l] = (byte)win;
        }
    }

    /// <summary>
    /// Adds to <paramref name="acc"/> the weight and bias gradients of one image x [C, H, W] from the pooled gradient
    /// g [O, Ho/2, Wo/2] and the winner codes of <see cref="Forward"/>: each unblocked pooled gradient times the padded
    /// input under the kernel placed at its winning position.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void AccumulateWeightGradient(ReadOnlySpan<float> x, in ConvGeometry g, ReadOnlySpan<float> pooledGrad,
        ReadOnlySpan<byte> winners, int o, DirectConv3x3.GradientSums acc, Span<float> padded)
    {
        int c = g.C, hq = g.Ho / 2, wq = g.Wo / 2, s = ParityStride(g), rowStride = 2 * s, planeP = g.Hp * rowStride;
        if (x.Length < c * g.PlaneIn || pooledGrad.Length < o * hq * wq || winners.Length < o * hq * wq
            || acc.Weights.Length < o * c * 9 || padded.Length < PaddedScratch(g))
        {
            throw new ArgumentException("DirectConvPool.AccumulateWeightGradient: buffers too small.", nameof(acc));
        }
        PadImage(x, g, padded);
        fixed (float* x0 = padded, g00 = pooledGrad)
        fixed (byte* k00 = winners)
        {
            for (int oc = 0; oc < o; oc++)
            {
                float* gp = g00 + (oc * hq * wq);
                byte* kp = k00 + (oc * hq * wq);
                for (int ci = 0; ci < c; ci++)
                {
                    Vector512<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default,
                        s20 = default, s21 = default, s22 = default, sb = default;
                    for (int ph = 0; ph < hq; ph++)
                    {
                        for (int t0 = 0; t0 < wq; t0 += Lanes)
                        {
                            int left = Math.Min(Lanes, wq - t0), at = (ph * wq) + t0;
                            var mask = LaneMask(left);
                            // Lanes past the row load as zero gradient; their codes do not matter.
                            var gv = Avx512F.MaskLoad(gp + at, mask, Vector512<float>.Zero);
                            var codes = Avx512F.ConvertToVector512Int32(
                                Avx512BW.VL.MaskLoad(kp + at, Avx512F.ConvertToVector128Byte(mask.AsInt32()), Vector128<byte>.Zero));
                            // The gradient at each of the four window positions (zero where another position won).
                            var gtl = gv & Vector512.Equals(codes, Vector512<int>.Zero).AsSingle();
                            var gtr = gv & Vector512.Equals(codes, Vector512.Create(1)).AsSingle();
                            var gbl = gv & Vector512.Equals(codes, Vector512.Create(2)).AsSingle();
                            var gbr = gv & Vector512.Equals(codes, Vector512.Create(3)).AsSingle();
                            if (ci == 0)
                            {
                                sb += (gtl + gtr) + (gbl + gbr);
                            }
                            float* r0 = x0 + (ci * planeP) + (2 * ph * rowStride) + t0;
                            float* r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride;
                            GradRow(r0, r1, s, gtl, gtr, gbl, gbr, ref s00, ref s01, ref s02);
                            GradRow(r1, r2, s, gtl, gtr, gbl, gbr, ref s10, ref s11, ref s12);
                            GradRow(r2, r3, s, gtl, gtr, gbl, gbr, ref s20, ref s21, ref s22);
                        }
                    }
                    var a = acc.Weights.AsSpan(((oc * c) + ci) * 9, 9);
                    a[0] += Vector512.Sum(s00);
                    a[1] += Vector512.Sum(s01);
                    a[2] += Vector512.Sum(s02);
                    a[3] += Vector512.Sum(s10);
                    a[4] += Vector512.Sum(s11);
                    a[5] += Vector512.Sum(s12);
                    a[6] += Vector512.Sum(s20);
                    a[7] += Vector512.Sum(s21);
                    a[8] += Vector512.Sum(s22);
                    if (ci == 0)
                    {
                        acc.Bias[oc] += Vector512.Sum(sb);
                    }
                }
            }
        }
    }

    // Kernel row i: the window's top row reads padded row `top`, its bottom row `bot` (= top + 1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GradRow(float* top, float* bot, int s, Vector512<float> gtl, Vector512<float> gtr, Vector512<float> gbl,
        Vector512<float> gbr, ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2)
    {
        var e0 = Vector512.Load(top);
        var d0 = Vector512.Load(top + s);
        var e1 = Vector512.Load(top + 1);
        var d1 = Vector512.Load(top + s + 1);
        var f0 = Vector512.Load(bot);
        var g0 = Vector512.Load(bot + s);
        var f1 = Vector512.Load(bot + 1);
        var g1 = Vector512.Load(bot + s + 1);
        // Tap j at an even output column reads padded column 2t + j (e0, d0, e1); at an odd one 2t + 1 + j (d0, e1, d1).
        a0 = Avx512F.FusedMultiplyAdd(gtl, e0, a0);
        a1 = Avx512F.FusedMultiplyAdd(gtl, d0, a1);
        a2 = Avx512F.FusedMultiplyAdd(gtl, e1, a2);
        a0 = Avx512F.FusedMultiplyAdd(gtr, d0, a0);
        a1 = Avx512F.FusedMultiplyAdd(gtr, e1, a1);
        a2 = Avx512F.FusedMultiplyAdd(gtr, d1, a2);
        a0 = Avx512F.FusedMultiplyAdd(gbl, f0, a0);
        a1 = Avx512F.FusedMultiplyAdd(gbl, g0, a1);
        a2 = Avx512F.FusedMultiplyAdd(gbl, f1, a2);
        a0 = Avx512F.FusedMultiplyAdd(gbr, g0, a0);
        a1 = Avx512F.FusedMultiplyAdd(gbr, f1, a1);
        a2 = Avx512F.FusedMultiplyAdd(gbr, g1, a2);
    }
}
