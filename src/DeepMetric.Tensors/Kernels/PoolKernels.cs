using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>SIMD helpers of the pooling ops.</summary>
internal static class PoolKernels
{
    /// <summary>
    /// dst[i] = max(src[2i], src[2i+1]) for i &lt; src.Length / 2, NaN-propagating (a NaN in either gives NaN).
    /// </summary>
    public static void AdjacentPairMax(ReadOnlySpan<float> src, Span<float> dst)
    {
        int n = src.Length / 2;
        if (dst.Length < n)
        {
            throw new ArgumentException($"The destination holds {dst.Length} values but {n} are produced.", nameof(dst));
        }
        int i = 0;
        if (Avx2.IsSupported && n >= 8)
        {
            ref float s0 = ref MemoryMarshal.GetReference(src);
            ref float d0 = ref MemoryMarshal.GetReference(dst);
            for (; i <= n - 8; i += 8)
            {
                var a = Vector256.LoadUnsafe(ref s0, (nuint)(2 * i));
                var b = Vector256.LoadUnsafe(ref s0, (nuint)((2 * i) + 8));
                // Even and odd elements of a‖b, lane by lane: [a0 a2 b0 b2 | a4 a6 b4 b6] and [a1 a3 b1 b3 | a5 a7 b5 b7].
                var even = Avx.Shuffle(a, b, 0b10_00_10_00);
                var odd = Avx.Shuffle(a, b, 0b11_01_11_01);
                var m = Avx.Max(even, odd);
                // maxps returns its second operand when either is NaN; keep a NaN from either side.
                m = Avx.BlendVariable(m, even, Avx.CompareUnordered(even, even));
                m = Avx.BlendVariable(m, odd, Avx.CompareUnordered(odd, odd));
                // 64-bit chunks are [A01 B01 | A23 B23]; reorder to [A01 A23 B01 B23].
                var ordered = Avx2.Permute4x64(m.AsDouble(), 0b11_01_10_00).AsSingle();
                ordered.StoreUnsafe(ref d0, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float a = src[2 * i], b = src[(2 * i) + 1];
            dst[i] = b > a || float.IsNaN(b) ? b : a;
        }
    }

    /// <summary>
    /// Backward of a 2×2, stride-2 max-pool for one pair of input rows: each window's first maximal element (order
    /// top-left, top-right, bottom-left, bottom-right; NaN matches NaN) receives the output gradient, the other three 0.
    /// Every element of both rows (of even width 2·<paramref name="y"/>.Length) is written.
    /// </summary>
    public static void MaxPool2x2BackwardRows(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, ReadOnlySpan<float> y,
        ReadOnlySpan<float> g, Span<float> dTop, Span<float> dBottom)
    {
        int n = y.Length, i = 0;
        if (top.Length < 2 * n || bottom.Length < 2 * n || g.Length < n || dTop.Length < 2 * n || dBottom.Length < 2 * n)
        {
            throw new ArgumentException("MaxPool2x2BackwardRows: the spans are too short for the output row.", nameof(y));
        }
        if (Avx2.IsSupported)
        {
            ref float t0 = ref MemoryMarshal.GetReference(top);
            ref float b0 = ref MemoryMarshal.GetReference(bottom);
            ref float y0 = ref MemoryMarshal.GetReference(y);
            ref float g0 = ref MemoryMarshal.GetReference(g);
            ref float dt0 = ref MemoryMarshal.GetReference(dTop);
            ref float db0 = ref MemoryMarshal.GetReference(dBottom);
            for (; i <= n - 4; i += 4)
            {
                // Four windows = 8 columns: duplicate each window's max and gradient onto its two columns.
                var y4 = Vector128.LoadUnsafe(ref y0, (nuint)i);
                var g4 = Vector128.LoadUnsafe(ref g0, (nuint)i);
                var yE = Vector256.Create(Sse.UnpackLow(y4, y4), Sse.UnpackHigh(y4, y4));
                var gE = Vector256.Create(Sse.UnpackLow(g4, g4), Sse.UnpackHigh(g4, g4));
                var yNaN = Avx.CompareUnordered(yE, yE);
                var xt = Vector256.LoadUnsafe(ref t0, (nuint)(2 * i));
                var xb = Vector256.LoadUnsafe(ref b0, (nuint)(2 * i));
                var eT = Avx.Or(Avx.CompareEqual(xt, yE), Avx.And(yNaN, Avx.CompareUnordered(xt, xt)));
                var eB = Avx.Or(Avx.CompareEqual(xb, yE), Avx.And(yNaN, Avx.CompareUnordered(xb, xb)));
                // Per window: the even (left) column's flag on both columns, and "either top column matched".
                var evenT = Avx.Shuffle(eT, eT, 0b10_10_00_00);
                var anyT = Avx.Or(evenT, Avx.Shuffle(eT, eT, 0b11_11_01_01));
                var evenB = Avx.Shuffle(eB, eB, 0b10_10_00_00);
                // Top: left if it matched; right if it matched and left did not.
                var selT = Avx.Blend(eT, Avx.AndNot(evenT, eT), 0b1010_1010);
                // Bottom (only when no top element matched): left if it matched; otherwise right.
                var selB = Avx.AndNot(anyT, Avx.Blend(eB, Avx.AndNot(evenB, Vector256<float>.AllBitsSet), 0b1010_1010));
                Avx.And(gE, selT).StoreUnsafe(ref dt0, (nuint)(2 * i));
                Avx.And(gE, selB).StoreUnsafe(ref db0, (nuint)(2 * i));
            }
        }
        for (; i < n; i++)
        {
            float m = y[i], gv = g[i];
            int c = 2 * i;
            int win = Matches(top[c], m) ? 0 : Matches(top[c + 1], m) ? 1 : Matches(bottom[c], m) ? 2 : 3;
            dTop[c] = win == 0 ? gv : 0f;
            dTop[c + 1] = win == 1 ? gv : 0f;
            dBottom[c] = win == 2 ? gv : 0f;
            dBottom[c + 1] = win == 3 ? gv : 0f;
        }

        static bool Matches(float v, float max) => v == max || (float.IsNaN(max) && float.IsNaN(v));
    }
}
