using System.Diagnostics;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// ResNet-18's 3×3 stride-1 convolutions, forward only, by each path in one process, interleaved call by call so load
/// from other jobs hits all alike: the default choice, F(4×4, 3×3) forced, F(2×2, 3×3) (the F(4,3) switch off) and
/// im2col. Inference (no gradient, cached U) unless DEEPMETRIC_WINO43_TRAIN=1 (weights needing gradients: U made per
/// call); batch from DEEPMETRIC_R18CONV_BATCH (32). Min and median wall ms and min CPU ms per path; a table to stderr.
/// </summary>
public static class WinogradF4Quick
{
    public static IEnumerable<BenchRecord> Run()
    {
        int batch = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_R18CONV_BATCH"), out int bb) && bb > 0 ? bb : 32;
        int repeats = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_REPEATS"), out int r) && r > 0 ? r : 5;
        bool train = Environment.GetEnvironmentVariable("DEEPMETRIC_WINO43_TRAIN") == "1";
        (int C, int Side)[] shapes = [(64, 56), (128, 28), (256, 14), (512, 7)];
        string[] paths = ["default", "f4", "f2", "im2col"];
        var rng = new Prng(21);
        var records = new List<BenchRecord>();
        if (Environment.GetEnvironmentVariable("DEEPMETRIC_WINO43_STAGES") == "1")
        {
            foreach (var (c, side) in shapes)
            {
                Stages(c, side, batch, repeats);
            }
            return records;
        }
        foreach (var (c, side) in shapes)
        {
            var x = Tensor.Rand(rng, [batch, c, side, side], 0f, 1f);
            var w = Tensor.Rand(rng, [c, c, 3, 3], -0.05f, 0.05f);
            w.RequiresGrad = train;
            var wall = paths.ToDictionary(p => p, _ => new List<double>());
            var cpu = paths.ToDictionary(p => p, _ => new List<double>());
            for (int rep = -1; rep < repeats; rep++)
            {
                foreach (var p in paths)
                {
                    WinogradF4.ForceF4 = p == "f4";
                    WinogradF4.ForceF2 = p == "f2";
                    Winograd.ForceIm2Col = p == "im2col";
                    try
                    {
                        using var scope = TensorScope.Enter();
                        double c0 = TrainStepProfile.ProcessCpuMs();
                        long t0 = Stopwatch.GetTimestamp();
                        if (train)
                        {
                            _ = Ops.Conv2d(x, w, null, 1, 1);
                        }
                        else
                        {
                            using (Tensor.NoGrad())
                            {
                                _ = Ops.Conv2d(x, w, null, 1, 1);
                            }
                        }
                        double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds, cms = TrainStepProfile.ProcessCpuMs() - c0;
                        if (rep >= 0)
                        {
                            wall[p].Add(ms);
                            cpu[p].Add(cms);
                        }
                    }
                    finally
                    {
                        WinogradF4.ForceF4 = false;
                        WinogradF4.ForceF2 = false;
                        Winograd.ForceIm2Col = false;
                    }
                }
            }
            string line = FormattableString.Invariant($"{c,4}@{side,-3} b{batch}{(train ? " train" : "")}:");
            foreach (var p in paths)
            {
                line += FormattableString.Invariant($"  {p} {wall[p].Min(),6:F2}/{Measure.Median(wall[p]),6:F2} ms (cpu {cpu[p].Min(),6:F1})");
                records.Add(new($"wino43_{c}_{side}_b{batch}_{p}_ms", wall[p].Min(), "ms"));
            }
            Console.Error.WriteLine(line);
        }
        return records;
    }

    // One chunk's stages on this thread, F(4,3) and F(2,3), scaled to the batch: input transform, GEMMs, output transform.
    private static void Stages(int c, int side, int batch, int repeats)
    {
        var geo = new ConvGeometry(c, side, side, 3, 3, 1, 1, 1);
        var rng = new Prng(4);
        foreach (bool f4 in new[] { true, false })
        {
            int xiN = f4 ? 36 : 16;
            int tPer = f4 ? WinogradF4.TilesH(geo) * WinogradF4.TilesW(geo) : Winograd.TilesH(geo) * Winograd.TilesW(geo);
            int b = Math.Max(1, Math.Min(batch, 256 / tPer));
            int t = b * tPer;
            var x = Tensor.Rand(rng, [b * c * side * side], 0f, 1f).ToArray();
            var u = Tensor.Rand(rng, [xiN * c * c], -1f, 1f).ToArray();
            var v = new float[xiN * c * t];
            var m = new float[xiN * c * t];
            var y = new float[b * c * side * side];
            var plane = new float[f4 ? WinogradF4.PlaneScratch(geo) : Winograd.PlaneScratch(geo)];
            double scale = batch / (double)b;
            double Best(Action a)
            {
                a();
                double best = double.MaxValue;
                for (int i = 0; i < repeats; i++)
                {
                    double c0 = TrainStepProfile.ProcessCpuMs();
                    a();
                    best = Math.Min(best, TrainStepProfile.ProcessCpuMs() - c0);
                }
                return best * scale;
            }
            double tin = Best(() =>
            {
                if (f4)
                {
                    WinogradF4.TransformInput(x, b, geo, v, plane);
                }
                else
                {
                    Winograd.TransformInput(x, b, geo, v, plane);
                }
            });
            double tg = Best(() =>
            {
                for (int xi = 0; xi < xiN; xi++)
                {
                    DeepMetric.Tensors.Gemm.Multiply(false, false, c, t, c, 1f, u.AsSpan(xi * c * c, c * c), c, v.AsSpan(xi * c * t, c * t), t, 0f, m.AsSpan(xi * c * t, c * t), t);
                }
            });
            double tout = Best(() =>
            {
                if (f4)
                {
                    WinogradF4.TransformOutput(m, b, c, geo, default, y);
                }
                else
                {
                    Winograd.TransformOutput(m, b, c, geo, default, y);
                }
            });
            double flops = 2.0 * xiN * c * c * t * scale;
            Console.Error.WriteLine(FormattableString.Invariant($"{c,4}@{side,-3} {(f4 ? "F(4,3)" : "F(2,3)")} chunk {b} ({t} tiles), CPU ms for batch {batch}: input {tin,6:F1}  gemms {tg,6:F1} ({flops / tg / 1e6:F0} GF/s)  output {tout,6:F1}"));
        }
    }
}
