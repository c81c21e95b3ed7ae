using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// The 2×2, stride-2 max-pool kernels over whole [planes, H, W] blocks. The forward pass handles each row pair in one
/// pass (the maxima of the four window positions together) and records, per window, which position won in one byte;
/// the backward pass then scatters the gradient from those bytes alone, without reading the input or output again
/// (a quarter of the output's size instead of the input's). AVX2 where available, with a portable scalar path. A
/// row's tail is covered by a last vector that overlaps the previous one instead of a scalar loop: recomputing a
/// window writes the same values again.
/// </summary>
internal static class PoolKernels
{
    [ThreadStatic]
    private static bool t_forceScalar;

    /// <summary>When true on this thread, the kernels take the portable scalar path even where AVX2 is available (tests cover both).</summary>
    internal static bool ForceScalar
    {
        get => t_forceScalar;
        set => t_forceScalar = value;
    }

    private static bool Vectorised => Avx2.IsSupported && !t_forceScalar;

    /// <summary>
    /// y[p, i, j] = max of x[p, 2i..2i+1, 2j..2j+1] for <paramref name="planes"/> planes of h×w; an odd last row or
    /// column is not covered. NaN-propagating: a window holding a NaN gives its first NaN (blocks holding a NaN take the
    /// scalar path).
    /// <paramref name="winners"/> receives, per output, the position of the window's first maximal element
    /// (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right; with a NaN, the first NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPool2x2Forward(ReadOnlySpan<float> x, Span<float> y, Span<byte> winners, int planes, int h, int w)
    {
        int ho = h / 2, wo = w / 2, plane = h * w;
        CheckLengths(x.Length, planes, plane, y.Length, ho * wo, nameof(y));
        CheckLengths(x.Length, planes, plane, winners.Length, ho * wo, nameof(winners));
        if (wo == 0 || ho == 0)
        {
            return;
        }
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref byte k0 = ref MemoryMarshal.GetReference(winners);
        bool simd = Vectorised && wo >= 4;
        int outAt = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            int rowAt = pl * plane;
            for (int oh = 0; oh < ho; oh++, rowAt += 2 * w, outAt += wo)
            {
                ref float top = ref Unsafe.Add(ref x0, rowAt);
                ref float bottom = ref Unsafe.Add(ref top, w);
                ref float dst = ref Unsafe.Add(ref y0, outAt);
                ref byte win = ref Unsafe.Add(ref k0, outAt);
                if (!simd)
                {
                    ForwardScalar(ref top, ref bottom, ref dst, ref win, 0, wo);
                }
                else if (wo >= 8)
                {
                    for (int i = 0; i < wo; i += 8)
                    {
                        // The last block is shifted back to end at the row's end, overlapping the previous one.
                        Forward8(ref top, ref bottom, ref dst, ref win, Math.Min(i, wo - 8));
                    }
                }
                else
                {
                    // 4 ≤ wo < 8: two blocks of four windows, the second ending at the row's end.
                    Forward4(ref top, ref bottom, ref dst, ref win, 0);
                    Forward4(ref top, ref bottom, ref dst, ref win, wo - 4);
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="MaxPool2x2Forward"/>: each window's winning position (from <paramref name="winners"/>)
    /// receives the output gradient, the other three 0. Every element of <paramref name="dx"/> is written (an
    /// uncovered odd last row or column gets 0), so it need not be cleared first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPool2x2Backward(ReadOnlySpan<byte> winners, ReadOnlySpan<float> g, Span<float> dx, int planes, int h, int w)
    {
        int ho = h / 2, wo = w / 2, plane = h * w;
        CheckLengths(dx.Length, planes, plane, g.Length, ho * wo, nameof(g));
        CheckLengths(dx.Length, planes, plane, winners.Length, ho * wo, nameof(winners));
        ref byte k0 = ref MemoryMarshal.GetReference(winners);
        ref float g0 = ref MemoryMarshal.GetReference(g);
        ref float d0 = ref MemoryMarshal.GetReference(dx);
        bool simd = Vectorised && wo >= 4;
        int outAt = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            int rowAt = pl * plane;
            for (int oh = 0; oh < ho; oh++, rowAt += 2 * w, outAt += wo)
            {
                ref float dTop = ref Unsafe.Add(ref d0, rowAt);
                ref float dBottom = ref Unsafe.Add(ref dTop, w);
                ref byte win = ref Unsafe.Add(ref k0, outAt);
                ref float gm = ref Unsafe.Add(ref g0, outAt);
                if (!simd)
                {
                    BackwardScalar(ref win, ref gm, ref dTop, ref dBottom, wo);
                }
                else if (wo >= 8)
                {
                    for (int i = 0; i < wo; i += 8)
                    {
                        Backward8(ref win, ref gm, ref dTop, ref dBottom, Math.Min(i, wo - 8));
                    }
                }
                else
                {
                    Backward4(ref win, ref gm, ref dTop, ref dBottom, 0);
                    Backward4(ref win, ref gm, ref dTop, ref dBottom, wo - 4);
                }
                if ((w & 1) != 0)
                {
                    Unsafe.Add(ref dTop, w - 1) = 0f;
                    Unsafe.Add(ref dBottom, w - 1) = 0f;
                }
            }
            if ((h & 1) != 0)
            {
                dx.Slice((pl * plane) + ((h - 1) * w), w).Clear();
            }
        }
    }

    /// <summary>
    /// Max pooling of <paramref name="planes"/> h×w planes over k×k windows with stride s and padding pad (padding never
    /// wins), for any window of at most 256 positions: y gets each window's maximum and <paramref name="winners"/> the
    /// position (row·k + column within the unclipped window) of its first maximal element, the last NaN when it holds
    /// NaNs (the rule of the indexed path in <see cref="Ops.MaxPool2d"/>). One byte per output instead of an index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolForward(ReadOnlySpan<float> x, Span<float> y, Span<byte> winners, int planes, in ConvGeometry geo)
    {
        int h = geo.H, w = geo.W, k = geo.Kh, s = geo.Stride, pad = geo.Padding, ho = geo.Ho, wo = geo.Wo, plane = h * w;
        CheckWindow(k);
        CheckLengths(x.Length, planes, plane, y.Length, ho * wo, nameof(y));
        CheckLengths(x.Length, planes, plane, winners.Length, ho * wo, nameof(winners));
        // 3×3 stride 2 (ResNet's stem pool): 8 outputs at a time over the columns whose windows lie inside the row and
        // whose loads stay inside it; the others one by one.
        bool simd = Vectorised && k == 3 && s == 2 && pad <= 1;
        int vecFrom = pad, vecTo = simd ? Math.Min(wo, ((w - 18 + pad) / 2) + 8) : 0;
        if (vecTo - vecFrom < 8)
        {
            simd = false;
        }
        ref float x0 = ref MemoryMarshal.GetReference(x);
        for (int pl = 0; pl < planes; pl++)
        {
            ref float xp = ref Unsafe.Add(ref x0, pl * plane);
            for (int oh = 0; oh < ho; oh++)
            {
                int outAt = ((pl * ho) + oh) * wo;
                int h0 = (oh * s) - pad, hs = Math.Max(h0, 0), h1 = Math.Min(h0 + k, h);
                if (!simd)
                {
                    for (int ow = 0; ow < wo; ow++)
                    {
                        y[outAt + ow] = Window(ref xp, w, k, h0, hs, h1, (ow * s) - pad, out winners[outAt + ow]);
                    }
                    continue;
                }
                for (int ow = 0; ow < vecFrom; ow++)
                {
                    y[outAt + ow] = Window(ref xp, w, k, h0, hs, h1, (ow * s) - pad, out winners[outAt + ow]);
                }
                for (int ow = vecFrom; ow < vecTo; ow += 8)
                {
                    int at = Math.Min(ow, vecTo - 8);
                    Window3x3s2x8(ref xp, w, h0, hs, h1, (2 * at) - pad, ref Unsafe.Add(ref MemoryMarshal.GetReference(y), outAt + at),
                        ref Unsafe.Add(ref MemoryMarshal.GetReference(winners), outAt + at));
                }
                for (int ow = vecTo; ow < wo; ow++)
                {
                    y[outAt + ow] = Window(ref xp, w, k, h0, hs, h1, (ow * s) - pad, out winners[outAt + ow]);
                }
            }
        }
    }

    // One window: rows [hs, h1) of the unclipped window starting at row h0 and column w0; the first maximal element wins,
    // the last NaN when there are NaNs; the code is row·k + column within the unclipped window.
    private static float Window(ref float plane, int w, int k, int h0, int hs, int h1, int w0, out byte code)
    {
        int ws = Math.Max(w0, 0), w1 = Math.Min(w0 + k, w);
        float best = float.NegativeInfinity;
        int win = ((hs - h0) * k) + (ws - w0);
        for (int ih = hs; ih < h1; ih++)
        {
            ref float row = ref Unsafe.Add(ref plane, ih * w);
            int rowCode = (ih - h0) * k;
            for (int iw = ws; iw < w1; iw++)
            {
                float v = Unsafe.Add(ref row, iw);
                if (v > best || float.IsNaN(v))
                {
                    best = v;
                    win = rowCode + (iw - w0);
                }
            }
        }
        code = (byte)win;
        return best;
    }

    // Eight adjacent 3×3 stride-2 windows whose columns c0 + 2t .. c0 + 2t + 2 lie inside the row (and c0 + 17 too, the
    // last float loaded): the nine positions in the scalar order, lane by lane, so maxima and winners are Window's.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Window3x3s2x8(ref float plane, int w, int h0, int hs, int h1, int c0, ref float dst, ref byte codes)
    {
        var best = Vector256.Create(float.NegativeInfinity);
        var win = Vector256.Create((hs - h0) * 3);
        for (int ih = hs; ih < h1; ih++)
        {
            ref float at = ref Unsafe.Add(ref plane, (ih * w) + c0);
            var lo = Vector256.LoadUnsafe(ref at);
            var hi = Vector256.LoadUnsafe(ref at, 8);
            var lo2 = Vector256.LoadUnsafe(ref at, 2);
            var hi2 = Vector256.LoadUnsafe(ref at, 10);
            int rowCode = (ih - h0) * 3;
            Take(Evens(lo, hi), rowCode, ref best, ref win);
            Take(Odds(lo, hi), rowCode + 1, ref best, ref win);
            Take(Evens(lo2, hi2), rowCode + 2, ref best, ref win);
        }
        best.StoreUnsafe(ref dst);
        var shorts = Vector128.Narrow(win.GetLower(), win.GetUpper());
        Unsafe.WriteUnaligned(ref codes, Vector128.Narrow(shorts, shorts).AsUInt64().ToScalar());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(Vector256<float> v, int code, ref Vector256<float> best, ref Vector256<int> win)
    {
        // v > best, or v is NaN (v ≠ v): the scalar rule.
        var take = Vector256.GreaterThan(v, best) | ~Vector256.Equals(v, v);
        best = Vector256.ConditionalSelect(take, v, best);
        win = Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(code), win);
    }

    // Elements 0, 2, …, 14 of the 16 in (a, b), in order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Evens(Vector256<float> a, Vector256<float> b) =>
        Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle();

    // Elements 1, 3, …, 15 of the 16 in (a, b), in order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Odds(Vector256<float> a, Vector256<float> b) =>
        Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle();

    /// <summary>
    /// The gradient of <see cref="MaxPoolForward"/>: each plane of <paramref name="dx"/> cleared, then every output's
    /// gradient added to its window's winner in output order (overlapping windows sum in that order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolBackward(ReadOnlySpan<byte> winners, ReadOnlySpan<float> g, Span<float> dx, int planes, in ConvGeometry geo)
    {
        int h = geo.H, w = geo.W, k = geo.Kh, s = geo.Stride, pad = geo.Padding, ho = geo.Ho, wo = geo.Wo, plane = h * w;
        CheckWindow(k);
        CheckLengths(dx.Length, planes, plane, g.Length, ho * wo, nameof(g));
        CheckLengths(dx.Length, planes, plane, winners.Length, ho * wo, nameof(winners));
        // Offset of each window position from the window's (possibly padded) top-left corner.
        Span<int> offsets = stackalloc int[k * k];
        for (int i = 0; i < offsets.Length; i++)
        {
            offsets[i] = ((i / k) * w) + (i % k);
        }
        ref float d0 = ref MemoryMarshal.GetReference(dx);
        int outAt = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            dx.Slice(pl * plane, plane).Clear();
            ref float dp = ref Unsafe.Add(ref d0, pl * plane);
            for (int oh = 0; oh < ho; oh++)
            {
                int corner = (((oh * s) - pad) * w) - pad;
                for (int ow = 0; ow < wo; ow++, outAt++, corner += s)
                {
                    Unsafe.Add(ref dp, corner + offsets[winners[outAt]]) += g[outAt];
                }
            }
        }
    }

    private static void CheckWindow(int k)
    {
        if (k < 1 || k * k > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "MaxPool: a window of more than 256 positions does not fit a winner byte.");
        }
    }

    private static void CheckLengths(int inLength, int planes, int plane, int outLength, int outPlane, string outName)
    {
        if (planes < 0 || inLength < planes * plane || outLength < planes * outPlane)
        {
            throw new ArgumentException(
                $"MaxPool2x2: {planes} planes need {planes * plane} inputs and {planes * outPlane} outputs, got {inLength} and {outLength}.", outName);
        }
    }

    /// <summary>
    /// One window's max of a (top-left), b (top-right), p (bottom-left), q (bottom-right) and its winner: the first
    /// maximal position, or with a NaN the first NaN (the rule of <see cref="MaxPool2x2Forward"/>).
    /// </summary>
    internal static float Window(float a, float b, float p, float q, out int win)
    {
        float m = MathF.Max(MathF.Max(a, b), MathF.Max(p, q));
        win = a == m ? 0 : b == m ? 1 : p == m ? 2 : 3;
        if (float.IsNaN(a + b + p + q))
        {
            win = float.IsNaN(a) ? 0 : float.IsNaN(b) ? 1 : float.IsNaN(p) ? 2 : float.IsNaN(q) ? 3 : win;
            m = win switch { 0 => a, 1 => b, 2 => p, _ => q };
        }
        return m;
    }

    // Windows [from, from + count) of one row pair. Branch-free except for the (rare) NaN windows: random data
    // would mispredict the comparisons of a branching version about every other window.
    private static void ForwardScalar(ref float top, ref float bottom, ref float dst, ref byte winners, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            int c = 2 * i;
            float a = Unsafe.Add(ref top, c), b = Unsafe.Add(ref top, c + 1);
            float p = Unsafe.Add(ref bottom, c), q = Unsafe.Add(ref bottom, c + 1);
            float m = MathF.Max(MathF.Max(a, b), MathF.Max(p, q));
            // First match in window order, in integer arithmetic: 3 − [p], then 1 if [b], then 0 if [a].
            int win = 3 - (p == m ? 1 : 0);
            win -= (b == m ? 1 : 0) * (win - 1);
            win *= a == m ? 0 : 1;
            if (float.IsNaN(a + b + p + q))
            {
                // A NaN wins, the first one in window order (a NaN sum without a NaN means infinities of both signs).
                win = float.IsNaN(a) ? 0 : float.IsNaN(b) ? 1 : float.IsNaN(p) ? 2 : float.IsNaN(q) ? 3 : win;
                m = win switch { 0 => a, 1 => b, 2 => p, _ => q };
            }
            Unsafe.Add(ref dst, i) = m;
            Unsafe.Add(ref winners, i) = (byte)win;
        }
    }

    // Eight windows (16 columns). The lane-wise deinterleave orders the windows [0 1 4 5 | 2 3 6 7]; the results are
    // put back in order with one 64-bit permute.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Forward8(ref float top, ref float bottom, ref float dst, ref byte winners, int at)
    {
        nuint c = (nuint)(2 * at);
        var t0 = Vector256.LoadUnsafe(ref top, c);
        var t1 = Vector256.LoadUnsafe(ref top, c + 8);
        var b0 = Vector256.LoadUnsafe(ref bottom, c);
        var b1 = Vector256.LoadUnsafe(ref bottom, c + 8);
        if (Avx.MoveMask(Avx.Or(Avx.CompareUnordered(t0, b0), Avx.CompareUnordered(t1, b1))) != 0)
        {
            // A NaN in a window (rare): the scalar rule picks the first NaN.
            ForwardScalar(ref top, ref bottom, ref dst, ref winners, at, 8);
            return;
        }
        var tl = Avx.Shuffle(t0, t1, 0b10_00_10_00);
        var tr = Avx.Shuffle(t0, t1, 0b11_01_11_01);
        var bl = Avx.Shuffle(b0, b1, 0b10_00_10_00);
        var br = Avx.Shuffle(b0, b1, 0b11_01_11_01);
        var m = Avx.Max(Avx.Max(tl, tr), Avx.Max(bl, br));
        Avx2.Permute4x64(m.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref dst, (nuint)at);
        var code = WinnerCodes(Avx.CompareEqual(tl, m), Avx.CompareEqual(tr, m), Avx.CompareEqual(bl, m));
        code = Avx2.Permute4x64(code.AsInt64(), 0b11_01_10_00).AsInt32();
        // Narrow the eight int32 codes to bytes: per lane [c0 c1 c2 c3], gathered into the low 8 bytes.
        var words = Avx2.PackSignedSaturate(code, code);
        var bytes = Avx2.PackUnsignedSaturate(words, words).AsInt32();
        var packed = Avx2.PermuteVar8x32(bytes, Vector256.Create(0, 4, 0, 4, 0, 4, 0, 4));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref winners, at), packed.AsUInt64().ToScalar());
    }

    // Four windows (8 columns), as Forward8 on 128-bit vectors (already in window order).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Forward4(ref float top, ref float bottom, ref float dst, ref byte winners, int at)
    {
        nuint c = (nuint)(2 * at);
        var t0 = Vector128.LoadUnsafe(ref top, c);
        var t1 = Vector128.LoadUnsafe(ref top, c + 4);
        var b0 = Vector128.LoadUnsafe(ref bottom, c);
        var b1 = Vector128.LoadUnsafe(ref bottom, c + 4);
        if (Sse.MoveMask(Sse.Or(Sse.CompareUnordered(t0, b0), Sse.CompareUnordered(t1, b1))) != 0)
        {
            ForwardScalar(ref top, ref bottom, ref dst, ref winners, at, 4);
            return;
        }
        var tl = Sse.Shuffle(t0, t1, 0b10_00_10_00);
        var tr = Sse.Shuffle(t0, t1, 0b11_01_11_01);
        var bl = Sse.Shuffle(b0, b1, 0b10_00_10_00);
        var br = Sse.Shuffle(b0, b1, 0b11_01_11_01);
        var m = Sse.Max(Sse.Max(tl, tr), Sse.Max(bl, br));
        m.StoreUnsafe(ref dst, (nuint)at);
        var code = WinnerCodes(Sse.CompareEqual(tl, m), Sse.CompareEqual(tr, m), Sse.CompareEqual(bl, m));
        var words = Sse2.PackSignedSaturate(code, code);
        var bytes = Sse2.PackUnsignedSaturate(words, words).AsUInt32();
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref winners, at), bytes.ToScalar());
    }

    // The first matching position per window as int32 lanes: 3, then 2 where bottom-left matched (3 + −1), then 1
    // where top-right matched, then 0 where top-left matched.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> WinnerCodes(Vector256<float> tl, Vector256<float> tr, Vector256<float> bl)
    {
        var code = Avx2.Add(Vector256.Create(3), bl.AsInt32()).AsSingle();
        code = Avx.BlendVariable(code, Vector256.Create(1).AsSingle(), tr);
        return Avx.AndNot(tl, code).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> WinnerCodes(Vector128<float> tl, Vector128<float> tr, Vector128<float> bl)
    {
        var code = Sse2.Add(Vector128.Create(3), bl.AsInt32()).AsSingle();
        code = Sse41.BlendVariable(code, Vector128.Create(1).AsSingle(), tr);
        return Sse.AndNot(tl, code).AsInt32();
    }

    private static void BackwardScalar(ref byte winners, ref float g, ref float dTop, ref float dBottom, int wo)
    {
        for (int i = 0; i < wo; i++)
        {
            int c = 2 * i, win = Unsafe.Add(ref winners, i);
            int bits = BitConverter.SingleToInt32Bits(Unsafe.Add(ref g, i));
            // Bit masks rather than branches or products (0·∞ would be NaN): all ones at the winner, zero elsewhere.
            Unsafe.Add(ref dTop, c) = BitConverter.Int32BitsToSingle(bits & -(win == 0 ? 1 : 0));
            Unsafe.Add(ref dTop, c + 1) = BitConverter.Int32BitsToSingle(bits & -(win == 1 ? 1 : 0));
            Unsafe.Add(ref dBottom, c) = BitConverter.Int32BitsToSingle(bits & -(win == 2 ? 1 : 0));
            Unsafe.Add(ref dBottom, c + 1) = BitConverter.Int32BitsToSingle(bits & -(win == 3 ? 1 : 0));
        }
    }

    // Eight windows (16 columns): each window's gradient and winner duplicated onto its two columns, then kept where
    // the column's position (0 1 0 1 … on top, 2 3 2 3 … below) is the winner.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Backward8(ref byte winners, ref float g, ref float dTop, ref float dBottom, int at)
    {
        nuint c = (nuint)(2 * at);
        var codes = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref winners, at))).AsByte());
        var g8 = Vector256.LoadUnsafe(ref g, (nuint)at);
        var low = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
        var high = Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7);
        var topPos = Vector256.Create(0, 1, 0, 1, 0, 1, 0, 1);
        var bottomPos = Vector256.Create(2, 3, 2, 3, 2, 3, 2, 3);
        var c0 = Avx2.PermuteVar8x32(codes, low);
        var c1 = Avx2.PermuteVar8x32(codes, high);
        var g0 = Avx2.PermuteVar8x32(g8, low);
        var g1 = Avx2.PermuteVar8x32(g8, high);
        Avx.And(g0, Avx2.CompareEqual(c0, topPos).AsSingle()).StoreUnsafe(ref dTop, c);
        Avx.And(g1, Avx2.CompareEqual(c1, topPos).AsSingle()).StoreUnsafe(ref dTop, c + 8);
        Avx.And(g0, Avx2.CompareEqual(c0, bottomPos).AsSingle()).StoreUnsafe(ref dBottom, c);
        Avx.And(g1, Avx2.CompareEqual(c1, bottomPos).AsSingle()).StoreUnsafe(ref dBottom, c + 8);
    }

    // Four windows (8 columns), as Backward8 on 128-bit vectors.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Backward4(ref byte winners, ref float g, ref float dTop, ref float dBottom, int at)
    {
        nuint c = (nuint)(2 * at);
        var codes = Sse41.ConvertToVector128Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref winners, at))).AsByte());
        var g4 = Vector128.LoadUnsafe(ref g, (nuint)at);
        var topPos = Vector128.Create(0, 1, 0, 1);
        var bottomPos = Vector128.Create(2, 3, 2, 3);
        var c0 = Sse2.UnpackLow(codes, codes);
        var c1 = Sse2.UnpackHigh(codes, codes);
        var g0 = Sse.UnpackLow(g4, g4);
        var g1 = Sse.UnpackHigh(g4, g4);
        Sse.And(g0, Sse2.CompareEqual(c0, topPos).AsSingle()).StoreUnsafe(ref dTop, c);
        Sse.And(g1, Sse2.CompareEqual(c1, topPos).AsSingle()).StoreUnsafe(ref dTop, c + 4);
        Sse.And(g0, Sse2.CompareEqual(c0, bottomPos).AsSingle()).StoreUnsafe(ref dBottom, c);
        Sse.And(g1, Sse2.CompareEqual(c1, bottomPos).AsSingle()).StoreUnsafe(ref dBottom, c + 4);
    }
}
