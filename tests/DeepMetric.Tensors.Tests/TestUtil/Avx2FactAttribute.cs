using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors.Tests.TestUtil;

/// <summary>A fact about a 256-bit (AVX2) kernel path; reported as skipped where the CPU has no AVX2.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Avx2FactAttribute : FactAttribute
{
    public Avx2FactAttribute()
    {
        if (!Avx2.IsSupported)
        {
            Skip = "No AVX2 here: only the portable path runs.";
        }
    }
}
