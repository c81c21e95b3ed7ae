using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// The 2×2, stride-2 max-pool kernels over whole [planes, H, W] blocks. Each row pair is handled in one pass (the
/// vertical max of the two rows and the max of column pairs together), with AVX2 where available and a portable
/// scalar path. A row's tail is covered by a last vector that overlaps the previous one instead of a scalar loop:
/// recomputing an output (or a window's four gradients) writes the same values again.
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
    /// column is not covered. NaN-propagating: a window holding a NaN gives a NaN (not necessarily the same payload).
    /// </summary>
    public static void MaxPool2x2Forward(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int w)
    {
        int ho = h / 2, wo = w / 2, plane = h * w;
        CheckLengths(x.Length, planes, plane, y.Length, ho * wo, nameof(y));
        if (wo == 0 || ho == 0)
        {
            return;
        }
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
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
                if (simd)
                {
                    ForwardRowAvx2(ref top, ref bottom, ref dst, wo);
                }
                else
                {
                    ForwardRowScalar(ref top, ref bottom, ref dst, wo);
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="MaxPool2x2Forward"/>: each window's first maximal element (order top-left, top-right,
    /// bottom-left, bottom-right; NaN matches NaN) receives the output gradient, the other three 0. Every element of
    /// <paramref name="dx"/> is written (an uncovered odd last row or column gets 0), so it need not be cleared first.
    /// </summary>
    public static void MaxPool2x2Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> dx,
        int planes, int h, int w)
    {
        int ho = h / 2, wo = w / 2, plane = h * w;
        CheckLengths(x.Length, planes, plane, y.Length, ho * wo, nameof(y));
        CheckLengths(dx.Length, planes, plane, g.Length, ho * wo, nameof(g));
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref float g0 = ref MemoryMarshal.GetReference(g);
        ref float d0 = ref MemoryMarshal.GetReference(dx);
        bool simd = Vectorised && wo >= 4;
        int outAt = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            int rowAt = pl * plane;
            for (int oh = 0; oh < ho; oh++, rowAt += 2 * w, outAt += wo)
            {
                ref float top = ref Unsafe.Add(ref x0, rowAt);
                ref float bottom = ref Unsafe.Add(ref top, w);
                ref float dTop = ref Unsafe.Add(ref d0, rowAt);
                ref float dBottom = ref Unsafe.Add(ref dTop, w);
                ref float ym = ref Unsafe.Add(ref y0, outAt);
                ref float gm = ref Unsafe.Add(ref g0, outAt);
                if (simd)
                {
                    BackwardRowAvx2(ref top, ref bottom, ref ym, ref gm, ref dTop, ref dBottom, wo);
                }
                else
                {
                    BackwardRowScalar(ref top, ref bottom, ref ym, ref gm, ref dTop, ref dBottom, wo);
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

    private static void CheckLengths(int inLength, int planes, int plane, int outLength, int outPlane, string outName)
    {
        if (planes < 0 || inLength < planes * plane || outLength < planes * outPlane)
        {
            throw new ArgumentException(
                $"MaxPool2x2: {planes} planes need {planes * plane} inputs and {planes * outPlane} outputs, got {inLength} and {outLength}.", outName);
        }
    }

    private static void ForwardRowScalar(ref float top, ref float bottom, ref float dst, int wo)
    {
        for (int i = 0; i < wo; i++)
        {
            int c = 2 * i;
            // In window order with strict >, a NaN taking over and nothing replacing it (comparisons with NaN are false).
            float m = Unsafe.Add(ref top, c);
            m = Later(m, Unsafe.Add(ref top, c + 1));
            m = Later(m, Unsafe.Add(ref bottom, c));
            Unsafe.Add(ref dst, i) = Later(m, Unsafe.Add(ref bottom, c + 1));
        }

        static float Later(float best, float v) => v > best || float.IsNaN(v) ? v : best;
    }

    private static void ForwardRowAvx2(ref float top, ref float bottom, ref float dst, int wo)
    {
        if (wo >= 8)
        {
            for (int i = 0; i < wo; i += 8)
            {
                // The last block is shifted back to end at the row's end, overlapping the previous one.
                int at = Math.Min(i, wo - 8);
                nuint c = (nuint)(2 * at);
                var v0 = MaxNaN(Vector256.LoadUnsafe(ref top, c), Vector256.LoadUnsafe(ref bottom, c));
                var v1 = MaxNaN(Vector256.LoadUnsafe(ref top, c + 8), Vector256.LoadUnsafe(ref bottom, c + 8));
                // Even and odd columns of v0‖v1, lane by lane: [a0 a2 b0 b2 | a4 a6 b4 b6] and [a1 a3 b1 b3 | a5 a7 b5 b7].
                var m = MaxNaN(Avx.Shuffle(v0, v1, 0b10_00_10_00), Avx.Shuffle(v0, v1, 0b11_01_11_01));
                // 64-bit chunks are [A01 B01 | A23 B23]; reorder to [A01 A23 B01 B23].
                Avx2.Permute4x64(m.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref dst, (nuint)at);
            }
        }
        else
        {
            // 4 ≤ wo < 8: two blocks of four outputs, the second ending at the row's end.
            Forward4(ref top, ref bottom, ref dst, 0);
            Forward4(ref top, ref bottom, ref dst, wo - 4);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Forward4(ref float top, ref float bottom, ref float dst, int at)
    {
        nuint c = (nuint)(2 * at);
        var v0 = MaxNaN(Vector128.LoadUnsafe(ref top, c), Vector128.LoadUnsafe(ref bottom, c));
        var v1 = MaxNaN(Vector128.LoadUnsafe(ref top, c + 4), Vector128.LoadUnsafe(ref bottom, c + 4));
        MaxNaN(Sse.Shuffle(v0, v1, 0b10_00_10_00), Sse.Shuffle(v0, v1, 0b11_01_11_01)).StoreUnsafe(ref dst, (nuint)at);
    }

    // maxps alone returns its second operand when either is NaN; or-ing in the unordered mask (all bits set, itself
    // a NaN) makes a NaN on either side win.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MaxNaN(Vector256<float> a, Vector256<float> b) => Avx.Or(Avx.Max(a, b), Avx.CompareUnordered(a, b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> MaxNaN(Vector128<float> a, Vector128<float> b) => Sse.Or(Sse.Max(a, b), Sse.CompareUnordered(a, b));

    private static void BackwardRowScalar(ref float top, ref float bottom, ref float y, ref float g, ref float dTop, ref float dBottom, int wo)
    {
        for (int i = 0; i < wo; i++)
        {
            int c = 2 * i;
            float m = Unsafe.Add(ref y, i), gv = Unsafe.Add(ref g, i);
            int win = Matches(Unsafe.Add(ref top, c), m) ? 0 : Matches(Unsafe.Add(ref top, c + 1), m) ? 1
                : Matches(Unsafe.Add(ref bottom, c), m) ? 2 : 3;
            Unsafe.Add(ref dTop, c) = win == 0 ? gv : 0f;
            Unsafe.Add(ref dTop, c + 1) = win == 1 ? gv : 0f;
            Unsafe.Add(ref dBottom, c) = win == 2 ? gv : 0f;
            Unsafe.Add(ref dBottom, c + 1) = win == 3 ? gv : 0f;
        }

        static bool Matches(float v, float max) => v == max || (float.IsNaN(max) && float.IsNaN(v));
    }

    private static void BackwardRowAvx2(ref float top, ref float bottom, ref float y, ref float g, ref float dTop, ref float dBottom, int wo)
    {
        if (wo >= 8)
        {
            for (int i = 0; i < wo; i += 8)
            {
                // The last block is shifted back to end at the row's end, overlapping the previous one.
                Backward8(ref top, ref bottom, ref y, ref g, ref dTop, ref dBottom, Math.Min(i, wo - 8));
            }
        }
        else
        {
            // 4 ≤ wo < 8: two blocks of four windows, the second ending at the row's end.
            Backward4(ref top, ref bottom, ref y, ref g, ref dTop, ref dBottom, 0);
            Backward4(ref top, ref bottom, ref y, ref g, ref dTop, ref dBottom, wo - 4);
        }
    }

    // Eight windows (16 columns). The columns are split into left and right ones per window, each window's four
    // flags are compared against its max in window-indexed vectors, and the gradients are interleaved back.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Backward8(ref float top, ref float bottom, ref float y, ref float g, ref float dTop, ref float dBottom, int at)
    {
        var y8 = Vector256.LoadUnsafe(ref y, (nuint)at);
        if (Avx.MoveMask(Avx.CompareUnordered(y8, y8)) != 0)
        {
            // A NaN maximum (rare): the scalar rule, where NaN matches NaN.
            BackwardRowScalar(ref Unsafe.Add(ref top, 2 * at), ref Unsafe.Add(ref bottom, 2 * at), ref Unsafe.Add(ref y, at),
                ref Unsafe.Add(ref g, at), ref Unsafe.Add(ref dTop, 2 * at), ref Unsafe.Add(ref dBottom, 2 * at), 8);
            return;
        }
        nuint c = (nuint)(2 * at);
        var t0 = Vector256.LoadUnsafe(ref top, c);
        var t1 = Vector256.LoadUnsafe(ref top, c + 8);
        var b0 = Vector256.LoadUnsafe(ref bottom, c);
        var b1 = Vector256.LoadUnsafe(ref bottom, c + 8);
        // Lane-wise deinterleave orders the windows [0 1 4 5 | 2 3 6 7]; put the maxima and gradients in that order.
        var yP = Avx2.Permute4x64(y8.AsDouble(), 0b11_01_10_00).AsSingle();
        var gP = Avx2.Permute4x64(Vector256.LoadUnsafe(ref g, (nuint)at).AsDouble(), 0b11_01_10_00).AsSingle();
        var eTL = Avx.CompareEqual(Avx.Shuffle(t0, t1, 0b10_00_10_00), yP);
        var eTR = Avx.CompareEqual(Avx.Shuffle(t0, t1, 0b11_01_11_01), yP);
        var eBL = Avx.CompareEqual(Avx.Shuffle(b0, b1, 0b10_00_10_00), yP);
        var anyT = Avx.Or(eTL, eTR);
        var gTL = Avx.And(eTL, gP);
        var gTR = Avx.And(Avx.AndNot(eTL, eTR), gP);
        var gBL = Avx.And(Avx.AndNot(anyT, eBL), gP);
        // Bottom-right takes what no other element took (it is then the maximum).
        var gBR = Avx.AndNot(Avx.Or(anyT, eBL), gP);
        // unpacklo of [0 1 4 5 | 2 3 6 7]-ordered windows gives columns 0–7 in order, unpackhi columns 8–15.
        Avx.UnpackLow(gTL, gTR).StoreUnsafe(ref dTop, c);
        Avx.UnpackHigh(gTL, gTR).StoreUnsafe(ref dTop, c + 8);
        Avx.UnpackLow(gBL, gBR).StoreUnsafe(ref dBottom, c);
        Avx.UnpackHigh(gBL, gBR).StoreUnsafe(ref dBottom, c + 8);
    }

    // Four windows (8 columns), as Backward8 on 128-bit vectors (no reordering needed).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Backward4(ref float top, ref float bottom, ref float y, ref float g, ref float dTop, ref float dBottom, int at)
    {
        var y4 = Vector128.LoadUnsafe(ref y, (nuint)at);
        if (Sse.MoveMask(Sse.CompareUnordered(y4, y4)) != 0)
        {
            BackwardRowScalar(ref Unsafe.Add(ref top, 2 * at), ref Unsafe.Add(ref bottom, 2 * at), ref Unsafe.Add(ref y, at),
                ref Unsafe.Add(ref g, at), ref Unsafe.Add(ref dTop, 2 * at), ref Unsafe.Add(ref dBottom, 2 * at), 4);
            return;
        }
        nuint c = (nuint)(2 * at);
        var t0 = Vector128.LoadUnsafe(ref top, c);
        var t1 = Vector128.LoadUnsafe(ref top, c + 4);
        var b0 = Vector128.LoadUnsafe(ref bottom, c);
        var b1 = Vector128.LoadUnsafe(ref bottom, c + 4);
        var g4 = Vector128.LoadUnsafe(ref g, (nuint)at);
        var eTL = Sse.CompareEqual(Sse.Shuffle(t0, t1, 0b10_00_10_00), y4);
        var eTR = Sse.CompareEqual(Sse.Shuffle(t0, t1, 0b11_01_11_01), y4);
        var eBL = Sse.CompareEqual(Sse.Shuffle(b0, b1, 0b10_00_10_00), y4);
        var anyT = Sse.Or(eTL, eTR);
        var gTL = Sse.And(eTL, g4);
        var gTR = Sse.And(Sse.AndNot(eTL, eTR), g4);
        var gBL = Sse.And(Sse.AndNot(anyT, eBL), g4);
        var gBR = Sse.AndNot(Sse.Or(anyT, eBL), g4);
        Sse.UnpackLow(gTL, gTR).StoreUnsafe(ref dTop, c);
        Sse.UnpackHigh(gTL, gTR).StoreUnsafe(ref dTop, c + 4);
        Sse.UnpackLow(gBL, gBR).StoreUnsafe(ref dBottom, c);
        Sse.UnpackHigh(gBL, gBR).StoreUnsafe(ref dBottom, c + 4);
    }
}
