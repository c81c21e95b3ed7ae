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
}
