using System.Runtime.Intrinsics.X86;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

public sealed class OpenBlasCoreTests
{
    [OpenBlasCoreFact]
    public void OpenBlas_UsesAvx512Kernels_UnlessTheUserChoseOthers()
    {
        string core = Assert.IsType<string>(Gemm.NativeCoreName);
        // The engine sets OPENBLAS_CORETYPE in the native environment before loading OpenBLAS, so an explicit
        // user choice wins and AVX-512 machines otherwise get the SkylakeX kernels (twice Haswell's speed here).
        string? chosen = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        if (chosen is not null)
        {
            Assert.Equal(chosen, core, ignoreCase: true);
        }
        else
        {
            Assert.True(Avx512F.IsSupported);
            Assert.Equal("SkylakeX", core, ignoreCase: true);
        }
    }
}
