using DeepMetric.Tensors;
using DeepMetric.Tensors.Interop;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Gemm;

/// <summary>Quick SGEMM throughput: our wrapper on OpenBLAS, cblas_sgemm called directly, and the managed kernel.</summary>
public static class GemmQuick
{
    private const int N = 1024;

    public static IEnumerable<BenchRecord> Run()
    {
        var rng = new Prng(42);
        var a = Tensor.Rand(rng, [N, N], -1f, 1f).ToArray();
        var b = Tensor.Rand(rng, [N, N], -1f, 1f).ToArray();
        var c = new float[N * N];
        double flops = 2.0 * N * N * N;
        var budget = TimeSpan.FromSeconds(3);

        if (Tensors.Gemm.OpenBlasAvailable)
        {
            var previous = Tensors.Gemm.Backend;
            double t, tDirect;
            try
            {
                Tensors.Gemm.Backend = GemmBackend.OpenBlas;
                t = Measure.BestSeconds(() => Tensors.Gemm.Multiply(false, false, N, N, N, 1f, a, N, b, N, 0f, c, N), budget);
                tDirect = Measure.BestSeconds(() => Direct(a, b, c), budget);
            }
            finally
            {
                Tensors.Gemm.Backend = previous;
            }
            yield return new BenchRecord($"gemm_{N}_openblas", flops / t / 1e9, "GFLOP/s");
            yield return new BenchRecord($"gemm_{N}_openblas_direct", flops / tDirect / 1e9, "GFLOP/s");
        }

        // The managed kernel is called directly so the figure does not depend on the selected backend.
        double tm = Measure.BestSeconds(() => ManagedGemm.Multiply(false, false, N, N, N, 1f, a, N, b, N, 0f, c, N), budget);
        yield return new BenchRecord($"gemm_{N}_managed", flops / tm / 1e9, "GFLOP/s");
        tm = Measure.BestSeconds(() => ManagedGemm.Multiply(false, false, N, N, N, 1f, a, N, b, N, 0f, c, N, ManagedGemm.Kernel.Portable), budget);
        yield return new BenchRecord($"gemm_{N}_managed_portable", flops / tm / 1e9, "GFLOP/s");
        tm = Measure.BestSeconds(() => ManagedGemm.Multiply(true, true, N, N, N, 1f, a, N, b, N, 0.5f, c, N), budget);
        yield return new BenchRecord($"gemm_{N}_managed_tt", flops / tm / 1e9, "GFLOP/s");
    }

    private static unsafe void Direct(float[] a, float[] b, float[] c)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            OpenBlasNative.Sgemm(OpenBlasNative.RowMajor, OpenBlasNative.NoTrans, OpenBlasNative.NoTrans, N, N, N, 1f, pa, N, pb, N, 0f, pc, N);
        }
    }
}
