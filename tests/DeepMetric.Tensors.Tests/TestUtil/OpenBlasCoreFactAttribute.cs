using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors.Tests.TestUtil;

/// <summary>
/// A fact about which OpenBLAS core was loaded; reported as skipped, with the reason, when OpenBLAS is not loaded or
/// when there is no expectation to check (no OPENBLAS_CORETYPE set and no AVX-512 on this CPU).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpenBlasCoreFactAttribute : FactAttribute
{
    public OpenBlasCoreFactAttribute()
    {
        if (!Gemm.OpenBlasAvailable || Gemm.NativeCoreName is null)
        {
            Skip = "OpenBLAS is not loaded (managed or reference BLAS in use): there is no native core to check.";
        }
        else if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is null && !Avx512F.IsSupported)
        {
            Skip = "No OPENBLAS_CORETYPE set and no AVX-512 on this CPU: OpenBLAS may pick any core, nothing to check.";
        }
    }
}
