using BenchmarkDotNet.Attributes;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Gemm;

/// <summary>BenchmarkDotNet version of the SGEMM comparison (full mode).</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];

    [Params(128, 512, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Prng(42);
        _a = Tensor.Rand(rng, [Size, Size], -1f, 1f).ToArray();
        _b = Tensor.Rand(rng, [Size, Size], -1f, 1f).ToArray();
        _c = new float[Size * Size];
    }

    [Benchmark(Baseline = true)]
    public void OpenBlas()
    {
        if (!Tensors.Gemm.OpenBlasAvailable)
        {
            return;
        }
        Tensors.Gemm.Backend = GemmBackend.OpenBlas;
        Tensors.Gemm.Multiply(false, false, Size, Size, Size, 1f, _a, Size, _b, Size, 0f, _c, Size);
    }

    [Benchmark]
    public void Managed() => ManagedGemm.Multiply(false, false, Size, Size, Size, 1f, _a, Size, _b, Size, 0f, _c, Size);
}
