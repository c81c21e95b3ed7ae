using System.Diagnostics;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// Every distinct convolution of the ImageNet ResNet-18 at 224×224, batch 32, with the pads of the CNTK export that
/// ResNet18.onnx is (stride-2 3×3 convolutions padded only at the top and left), forward and backward, against the
/// FLOP count (2·N·O·C·kh·kw·Ho·Wo per pass; the stem's backward is its weight gradient only) and the SGEMM of the
/// same run; plus the elementwise passes between them (inference BatchNorm, ReLU, residual Add, the stem's max-pool)
/// in ms. Interleaved repeats; GFLOP/s from the fastest repeat, by wall clock and per second of process CPU time (all
/// threads; steadier on a shared machine, and set beside SGEMM's own figure per CPU-second). A table goes to stderr.
/// </summary>
public static class ResNetConvQuick
{
    // DEEPMETRIC_R18CONV_BATCH sets another batch (1: the per-image costs that batch 32 amortises, e.g. weight transforms).
    private static readonly int Batch = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_R18CONV_BATCH"), out int b) && b > 0 ? b : 32;

    private sealed record Shape(string Name, int C, int O, int K, int Stride, (int, int, int, int) Pads, int Side, bool InputGrad);

    public static IEnumerable<BenchRecord> Run()
    {
        int repeats = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_REPEATS"), out int r) && r > 0 ? r : 3;
        Shape[] shapes =
        [
            new("stem7x7s2", 3, 64, 7, 2, (3, 3, 2, 2), 224, false),
            new("c3x3_64_56", 64, 64, 3, 1, (1, 1, 1, 1), 56, true),
            new("c3x3s2_128_56", 64, 128, 3, 2, (1, 1, 0, 0), 56, true),
            new("c1x1s2_128_56", 64, 128, 1, 2, (0, 0, 0, 0), 56, true),
            new("c3x3_128_28", 128, 128, 3, 1, (1, 1, 1, 1), 28, true),
            new("c3x3s2_256_28", 128, 256, 3, 2, (1, 1, 0, 0), 28, true),
            new("c1x1s2_256_28", 128, 256, 1, 2, (0, 0, 0, 0), 28, true),
            new("c3x3_256_14", 256, 256, 3, 1, (1, 1, 1, 1), 14, true),
            new("c3x3s2_512_14", 256, 512, 3, 2, (1, 1, 0, 0), 14, true),
            new("c1x1s2_512_14", 256, 512, 1, 2, (0, 0, 0, 0), 14, true),
            new("c3x3_512_7", 512, 512, 3, 1, (1, 1, 1, 1), 7, true),
        ];
        var rng = new Prng(21);
        var xs = shapes.Select(s => Tensor.Rand(rng, [Batch, s.C, s.Side, s.Side], -1f, 1f)).ToArray();
        var ws = shapes.Select(s => Tensor.Rand(rng, [s.O, s.C, s.K, s.K], -0.1f, 0.1f)).ToArray();
        foreach (var w in ws)
        {
            w.RequiresGrad = true;
        }
        const int N = 1024;
        var a = Tensor.Rand(rng, [N, N], -1f, 1f).ToArray();
        var b = Tensor.Rand(rng, [N, N], -1f, 1f).ToArray();
        var cm = new float[N * N];

        // Elementwise passes at the stem's and the first stage's sizes.
        var act = Tensor.Rand(rng, [Batch, 64, 112, 112], -1f, 1f);
        var act56 = Tensor.Rand(rng, [Batch, 64, 56, 56], -1f, 1f);
        var act56b = Tensor.Rand(rng, [Batch, 64, 56, 56], -1f, 1f);
        var gamma = Tensor.Rand(rng, [64], 0.5f, 1.5f);
        var beta = Tensor.Rand(rng, [64], -0.5f, 0.5f);
        var mean = Tensor.Rand(rng, [64], -0.5f, 0.5f);
        var variance = Tensor.Rand(rng, [64], 0.5f, 1.5f);

        var uScratch = new float[Winograd.Xi * 256 * 256];
        var gw = Tensor.Rand(rng, [256 * 4608], -1f, 1f).ToArray();
        var gcol = Tensor.Rand(rng, [4608 * 49], -1f, 1f).ToArray();
        var gout = new float[256 * 49];
        var gw2 = Tensor.Rand(rng, [512 * 4608], -1f, 1f).ToArray();
        var gout2 = new float[512 * 49];
        var t = new Dictionary<string, List<double>>();
        var cpu = new Dictionary<string, List<double>>();
        void Time(string key, Action act, bool keep)
        {
            double c0 = TrainStepProfile.ProcessCpuMs();
            long t0 = Stopwatch.GetTimestamp();
            act();
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            double cs = Math.Max(1e-6, (TrainStepProfile.ProcessCpuMs() - c0) / 1e3);
            if (keep)
            {
                (t.TryGetValue(key, out var l) ? l : t[key] = []).Add(s);
                (cpu.TryGetValue(key, out var lc) ? lc : cpu[key] = []).Add(cs);
            }
        }

        for (int rep = -1; rep < repeats; rep++)
        {
            bool keep = rep >= 0;
            Time("sgemm", () => Tensors.Gemm.Multiply(false, false, N, N, N, 1f, a, N, b, N, 0f, cm, N), keep);
            Time("wino_u_256", () => Winograd.TransformWeights(ws[7].ReadOnlySpan, 256, 256, uScratch), keep);
            // The batch-1 GEMM of a 512-channel 7×7 layer per worker range (256 output channels), both orientations.
            Time("gemm_w_col", () => Tensors.Gemm.Multiply(false, false, 256, 49, 4608, 1f, gw, 4608, gcol, 49, 0f, gout, 49), keep);
            Time("gemm_512_split", () => Tensors.Gemm.Multiply(false, false, 512, 49, 4608, 1f, gw2, 4608, gcol, 49, 0f, gout2, 49), keep);
            Time("gemm_colT_wT", () => Tensors.Gemm.Multiply(true, true, 49, 256, 4608, 1f, gcol, 49, gw, 4608, 0f, gout, 256), keep);
            for (int i = 0; i < shapes.Length; i++)
            {
                var s = shapes[i];
                var x = xs[i];
                x.RequiresGrad = s.InputGrad;
                x.Grad = null;
                ws[i].Grad = null;
                using var scope = TensorScope.Enter();
                Tensor y = null!;
                Time(s.Name + "_fwd", () => y = Ops.Conv2dGeneral(x, ws[i], null, (s.Stride, s.Stride), s.Pads, (1, 1)), keep);
                var g = Tensor.Rand(new Prng(5), y.Dims, -1f, 1f);
                Time(s.Name + "_bwd", () => y.Backward(g), keep);
            }
            using (var scope = TensorScope.Enter())
            using (Tensor.NoGrad())
            {
                Time("bn_112", () => Ops.BatchNorm(act, mean, variance, gamma, beta, training: false, eps: 1e-5f), keep);
                Time("relu_112", () => Ops.Relu(act), keep);
                Time("add_56", () => Ops.Add(act56, act56b), keep);
                Time("maxpool_112", () => Ops.MaxPool2d(act, 3, 2, 1), keep);
            }
        }

        double sgemm = 2.0 * N * N * N / t["sgemm"].Min() / 1e9;
        double sgemmCpu = 2.0 * N * N * N / cpu["sgemm"].Min() / 1e9;
        var records = new List<BenchRecord> { new("r18conv_sgemm_gflops", sgemm, "GFLOP/s"), new("r18conv_sgemm_gflops_cpu", sgemmCpu, "GFLOP/s") };
        var table = new System.Text.StringBuilder();
        table.AppendLine(FormattableString.Invariant($"SGEMM {N}³ ({Tensors.Gemm.Backend}): {sgemm:F0} GFLOP/s wall, {sgemmCpu:F0} per CPU-second (best of {repeats}); ResNet-18 convolutions, batch {Batch}"));
        table.AppendLine(FormattableString.Invariant($"{"layer",-16} {"pass",-4} {"GFLOP",6} {"ms min",8} {"ms med",8} {"GF/s",6} {"vs SGEMM",8} {"cpu ms",7} {"GF/cpu-s",8} {"vs SGEMM",8}"));
        double totalFwd = 0, totalBwd = 0;
        foreach (var s in shapes)
        {
            int ho = ((s.Side + s.Pads.Item1 + s.Pads.Item3 - s.K) / s.Stride) + 1;
            double flops = 2.0 * Batch * s.O * s.C * s.K * s.K * ho * ho;
            foreach (var (pass, f) in new[] { ("fwd", flops), ("bwd", s.InputGrad ? 2 * flops : flops) })
            {
                var l = t[$"{s.Name}_{pass}"];
                double gf = f / l.Min() / 1e9, gfCpu = f / cpu[$"{s.Name}_{pass}"].Min() / 1e9;
                if (pass == "fwd")
                {
                    totalFwd += l.Min();
                }
                else
                {
                    totalBwd += l.Min();
                }
                records.Add(new($"r18conv_{s.Name}_{pass}_ms", l.Min() * 1e3, "ms"));
                records.Add(new($"r18conv_{s.Name}_{pass}_gflops", gf, "GFLOP/s"));
                records.Add(new($"r18conv_{s.Name}_{pass}_vs_sgemm", gf / sgemm, "ratio"));
                records.Add(new($"r18conv_{s.Name}_{pass}_gflops_cpu", gfCpu, "GFLOP/s"));
                records.Add(new($"r18conv_{s.Name}_{pass}_vs_sgemm_cpu", gfCpu / sgemmCpu, "ratio"));
                table.AppendLine(FormattableString.Invariant($"{s.Name,-16} {pass,-4} {f / 1e9,6:F2} {l.Min() * 1e3,8:F1} {Measure.Median(l) * 1e3,8:F1} {gf,6:F0} {gf / sgemm,8:F2} {cpu[$"{s.Name}_{pass}"].Min() * 1e3,7:F0} {gfCpu,8:F0} {gfCpu / sgemmCpu,8:F2}"));
            }
        }
        foreach (var key in new[] { "wino_u_256", "gemm_w_col", "gemm_512_split", "gemm_colT_wT", "bn_112", "relu_112", "add_56", "maxpool_112" })
        {
            records.Add(new($"r18conv_{key}_ms", t[key].Min() * 1e3, "ms"));
            table.AppendLine(FormattableString.Invariant($"{key,-16} {"fwd",-4} {"",6} {t[key].Min() * 1e3,8:F1} {Measure.Median(t[key]) * 1e3,8:F1} {"",6} {"",8} {cpu[key].Min() * 1e3,7:F0}"));
        }
        table.AppendLine(FormattableString.Invariant($"sum of distinct shapes (min): forward {totalFwd * 1e3:F0} ms, backward {totalBwd * 1e3:F0} ms"));
        Console.Error.Write(table.ToString());
        return records;
    }
}
