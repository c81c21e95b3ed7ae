using System.Diagnostics;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// The reference CNN's layers one by one (batch 128), forward and backward, against their FLOP count and the SGEMM
/// figure of the same run: <c>layer_NAME_{fwd,bwd}_gflops</c> (from the fastest of the interleaved repeats, wall
/// clock), <c>…_gflops_cpu</c> (FLOPs per second of process CPU time, median: steadier on a shared machine, and
/// comparable with <c>layer_sgemm_gflops_cpu</c>), and <c>…_vs_sgemm</c> (the CPU-time figure over SGEMM's).
/// FLOPs are those of the direct convolution (2·N·O·C·kh·kw·Ho·Wo per pass), whatever algorithm runs. A table for
/// people goes to standard error.
/// </summary>
public static class LayerQuick
{
    private const int Batch = 128;
    private const int Repeats = 7;

    private sealed record Layer(string Name, Module Module, int[] InputShape, bool InputGrad, double ForwardFlops, double BackwardFlops);

    public static IEnumerable<BenchRecord> Run()
    {
        var rng = new Prng(3);
        double conv1 = ConvFlops(1, 32, 28, 28), conv2 = ConvFlops(32, 64, 14, 14);
        double fc1 = 2.0 * Batch * 3136 * 128, fc2 = 2.0 * Batch * 128 * 64;
        Layer[] layers =
        [
            // The first layer's input needs no gradient: its backward is the weight gradient only.
            new("conv1_relu_pool", new Sequential(new Conv2d(1, 32, 3, padding: 1, rng: rng), new ReLU(), new MaxPool2d(2)), [Batch, 1, 28, 28], false, conv1, conv1),
            new("conv1", new Conv2d(1, 32, 3, padding: 1, rng: rng), [Batch, 1, 28, 28], false, conv1, conv1),
            new("conv2_relu_pool", new Sequential(new Conv2d(32, 64, 3, padding: 1, rng: rng), new ReLU(), new MaxPool2d(2)), [Batch, 32, 14, 14], true, conv2, 2 * conv2),
            new("conv2", new Conv2d(32, 64, 3, padding: 1, rng: rng), [Batch, 32, 14, 14], true, conv2, 2 * conv2),
            new("fc1", new Linear(3136, 128, rng: rng), [Batch, 3136], true, fc1, 2 * fc1),
            new("fc2", new Linear(128, 64, rng: rng), [Batch, 128], true, fc2, 2 * fc2),
        ];

        const int N = 1024;
        var a = Tensor.Rand(rng, [N, N], -1f, 1f).ToArray();
        var b = Tensor.Rand(rng, [N, N], -1f, 1f).ToArray();
        var c = new float[N * N];
        var gemm = new Timing();
        var fwd = layers.Select(_ => new Timing()).ToArray();
        var bwd = layers.Select(_ => new Timing()).ToArray();
        var inputs = layers.Select(l => Tensor.Rand(rng, l.InputShape, -1f, 1f)).ToArray();

        // Interleaved: every repeat runs SGEMM and each layer once, so a burst of load elsewhere hits all alike.
        for (int rep = -2; rep < Repeats; rep++)
        {
            gemm.Time(() => Tensors.Gemm.Multiply(false, false, N, N, N, 1f, a, N, b, N, 0f, c, N), rep >= 0);
            for (int i = 0; i < layers.Length; i++)
            {
                var x = inputs[i];
                x.RequiresGrad = layers[i].InputGrad;
                x.Grad = null;
                using var scope = TensorScope.Enter();
                foreach (var p in layers[i].Module.Parameters())
                {
                    p.Grad = null;
                }
                Tensor y = null!;
                fwd[i].Time(() => y = layers[i].Module.Forward(x), rep >= 0);
                var g = Tensor.Rand(new Prng(5), y.Dims, -1f, 1f);
                bwd[i].Time(() => y.Backward(g), rep >= 0);
            }
        }

        double gemmFlops = 2.0 * N * N * N;
        double sgemm = gemmFlops / gemm.MinSeconds / 1e9, sgemmCpu = gemmFlops / gemm.MedianCpuSeconds / 1e9;
        double sgemmCpuBest = gemmFlops / gemm.MinCpuSeconds / 1e9;
        var records = new List<BenchRecord>
        {
            new("layer_sgemm_gflops", sgemm, "GFLOP/s"),
            new("layer_sgemm_gflops_cpu", sgemmCpu, "GFLOP/s"),
            new("layer_sgemm_gflops_cpu_best", sgemmCpuBest, "GFLOP/s"),
        };
        var table = new System.Text.StringBuilder();
        table.AppendLine(FormattableString.Invariant($"SGEMM {N}³ ({Tensors.Gemm.Backend}{(Tensors.Gemm.NativeCoreName is { } core ? ", " + core : "")}): {sgemm:F0} GFLOP/s wall (min), {sgemmCpu:F0} per CPU-second (median), {sgemmCpuBest:F0} (best)"));
        table.AppendLine(FormattableString.Invariant($"{"layer",-18} {"pass",-4} {"GFLOP",6} {"ms min",7} {"ms med",7} {"GF/s",6} {"GF/s·cpu",8} {"(best)",6} {"vs SGEMM",8}"));
        for (int i = 0; i < layers.Length; i++)
        {
            foreach (var (pass, t, flops) in new[] { ("fwd", fwd[i], layers[i].ForwardFlops), ("bwd", bwd[i], layers[i].BackwardFlops) })
            {
                double gf = flops / t.MinSeconds / 1e9, gfCpu = flops / t.MedianCpuSeconds / 1e9;
                string key = $"layer_{layers[i].Name}_{pass}";
                records.Add(new BenchRecord($"{key}_ms", t.MinSeconds * 1e3, "ms"));
                records.Add(new BenchRecord($"{key}_gflops", gf, "GFLOP/s"));
                records.Add(new BenchRecord($"{key}_gflops_cpu", gfCpu, "GFLOP/s"));
                records.Add(new BenchRecord($"{key}_gflops_cpu_best", flops / t.MinCpuSeconds / 1e9, "GFLOP/s"));
                records.Add(new BenchRecord($"{key}_vs_sgemm", gfCpu / sgemmCpu, "ratio"));
                table.AppendLine(FormattableString.Invariant(
                    $"{layers[i].Name,-18} {pass,-4} {flops / 1e9,6:F3} {t.MinSeconds * 1e3,7:F2} {t.MedianSeconds * 1e3,7:F2} {gf,6:F0} {gfCpu,8:F0} {flops / t.MinCpuSeconds / 1e9,6:F0} {gfCpu / sgemmCpu,8:F2}"));
            }
        }
        Console.Error.Write(table.ToString());
        return records;
    }

    private static double ConvFlops(int c, int o, int h, int w) => 2.0 * Batch * o * c * 9 * h * w;

    private sealed class Timing
    {
        private readonly List<double> _wall = [];
        private readonly List<double> _cpu = [];

        public double MinSeconds => _wall.Min();

        public double MedianSeconds => Median(_wall);

        public double MedianCpuSeconds => Median(_cpu);

        public double MinCpuSeconds => _cpu.Min();

        public void Time(Action action, bool keep)
        {
            double cpu0 = TrainStepProfile.ProcessCpuMs();
            long t0 = Stopwatch.GetTimestamp();
            action();
            double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            double cpu = (TrainStepProfile.ProcessCpuMs() - cpu0) / 1e3;
            if (keep)
            {
                _wall.Add(wall);
                _cpu.Add(Math.Max(cpu, 1e-6));
            }
        }

        private static double Median(List<double> v)
        {
            var s = v.ToArray();
            Array.Sort(s);
            return s[s.Length / 2];
        }
    }
}
