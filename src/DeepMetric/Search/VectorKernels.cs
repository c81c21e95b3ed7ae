using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepMetric.Search;

/// <summary>SIMD distance kernels for the indexes. Sums are kept in float: for the dimensions of embeddings (≤ a few thousand) the rounding error is far below the gaps that decide a ranking.</summary>
internal static class VectorKernels
{
    /// <summary>Squared Euclidean distance.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float L2Squared(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = a.Length;
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            int w = Vector<float>.Count;
            var acc0 = Vector<float>.Zero;
            var acc1 = Vector<float>.Zero;
            for (; i <= n - (2 * w); i += 2 * w)
            {
                var d0 = Vector.LoadUnsafe(ref pa, (nuint)i) - Vector.LoadUnsafe(ref pb, (nuint)i);
                var d1 = Vector.LoadUnsafe(ref pa, (nuint)(i + w)) - Vector.LoadUnsafe(ref pb, (nuint)(i + w));
                acc0 += d0 * d0;
                acc1 += d1 * d1;
            }
            for (; i <= n - w; i += w)
            {
                var d0 = Vector.LoadUnsafe(ref pa, (nuint)i) - Vector.LoadUnsafe(ref pb, (nuint)i);
                acc0 += d0 * d0;
            }
            sum = Vector.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref pa, i) - Unsafe.Add(ref pb, i);
            sum += d * d;
        }
        return sum;
    }

    /// <summary>Dot product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = a.Length;
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            int w = Vector<float>.Count;
            var acc0 = Vector<float>.Zero;
            var acc1 = Vector<float>.Zero;
            for (; i <= n - (2 * w); i += 2 * w)
            {
                acc0 += Vector.LoadUnsafe(ref pa, (nuint)i) * Vector.LoadUnsafe(ref pb, (nuint)i);
                acc1 += Vector.LoadUnsafe(ref pa, (nuint)(i + w)) * Vector.LoadUnsafe(ref pb, (nuint)(i + w));
            }
            for (; i <= n - w; i += w)
            {
                acc0 += Vector.LoadUnsafe(ref pa, (nuint)i) * Vector.LoadUnsafe(ref pb, (nuint)i);
            }
            sum = Vector.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        }
        return sum;
    }

    /// <summary>The internal distance used for ranking: squared L2, 1 − dot (vectors already normalised) or −dot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Distance(VectorMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b) => metric switch
    {
        VectorMetric.L2 => L2Squared(a, b),
        VectorMetric.Cosine => 1f - Dot(a, b),
        _ => -Dot(a, b),
    };

    /// <summary>Turns an internal distance into the reported one (square root for L2, clamped at 0 against rounding).</summary>
    public static float ToReported(VectorMetric metric, float internalDistance) =>
        metric == VectorMetric.L2 ? MathF.Sqrt(MathF.Max(0f, internalDistance)) : internalDistance;

    /// <summary>Scales <paramref name="v"/> to unit L2 norm (norm summed in double); a zero vector stays zero.</summary>
    public static void Normalize(Span<float> v)
    {
        double sq = 0;
        foreach (float x in v)
        {
            sq += (double)x * x;
        }
        if (sq > 0)
        {
            TensorPrimitives.Multiply(v, (float)(1.0 / Math.Sqrt(sq)), v);
        }
    }

    /// <summary>Throws when a value is NaN or infinite (an index cannot rank such vectors).</summary>
    public static void CheckFinite(ReadOnlySpan<float> values, string paramName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"Value {i} is {values[i]}; vectors must be finite.", paramName);
            }
        }
    }
}
