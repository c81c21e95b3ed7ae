using System.Runtime.Intrinsics;

namespace DeepMetric.Tensors.Tests.TestUtil;

/// <summary>A fact about the AVX-512 kernels; reported as skipped where the CPU (or the runtime) has no 512-bit vectors.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            Skip = "No hardware-accelerated 512-bit vectors here: only the portable path runs.";
        }
    }
}
