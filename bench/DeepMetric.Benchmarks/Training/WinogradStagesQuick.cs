using System.Diagnostics;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// Stage timings of Winograd F(2×2, 3×3) on the reference CNN's conv2 (batch 128, 32→64 channels, 14×14, pad 1)
/// for one chunk of images: the transforms and the three sets of 16 GEMMs, against im2col's whole conv.
/// </summary>
public static class WinogradStagesQuick
{
    private const int Reps = 11;

    public static IEnumerable<BenchRecord> Run()
    {
        const int n = 128, c = 32, o = 64, h = 14, w = 14;
        var geo = new ConvGeometry(c, h, w, 3, 3, 1, 1, 1);
        int tPer = Winograd.TilesH(geo) * Winograd.TilesW(geo);
        var rng = new Prng(3);
        var x = Tensor.Rand(rng, [n, c, h, w]).ToArray();
        var wt = Tensor.Rand(rng, [o, c, 3, 3]).ToArray();
        var dy = Tensor.Rand(rng, [n, o, h, w]).ToArray();
        foreach (int b in new[] { 2, 4, 8, 16 })
        {
            int t = b * tPer;
            var u = new float[16 * o * c];
            var du = new float[16 * o * c];
            var v = new float[16 * c * t];
            var m = new float[16 * o * t];
            var y = new float[b * o * h * w];
            var dx = new float[b * c * h * w];
            var plane = new float[Winograd.PlaneScratch(geo)];
            Winograd.TransformWeights(wt, o, c, u);
            // Per-chunk cost scaled to the whole batch of 128.
            double scale = n / (double)b;
            foreach (var r in Time($"wino_b{b}_input_transform", scale, () => Winograd.TransformInput(x.AsSpan(0, b * c * h * w), b, geo, v, plane)))
            {
                yield return r;
            }
            foreach (var r in Time($"wino_b{b}_fwd_gemms", scale, () =>
            {
                for (int xi = 0; xi < 16; xi++)
                {
                    DeepMetric.Tensors.Gemm.Multiply(false, false, o, t, c, 1f, u.AsSpan(xi * o * c), c, v.AsSpan(xi * c * t), t, 0f, m.AsSpan(xi * o * t), t);
                }
            }))
            {
                yield return r;
            }
            foreach (var r in Time($"wino_b{b}_output_transform", scale, () => Winograd.TransformOutput(m, b, o, geo, default, y)))
            {
                yield return r;
            }
            foreach (var r in Time($"wino_b{b}_output_grad_transform", scale, () => Winograd.OutputGradient(dy.AsSpan(0, b * o * h * w), b, o, geo, m)))
            {
                yield return r;
            }
            foreach (var r in Time($"wino_b{b}_dw_gemms", scale, () =>
            {
                for (int xi = 0; xi < 16; xi++)
                {
                    DeepMetric.Tensors.Gemm.Multiply(false, true, o, c, t, 1f, m.AsSpan(xi * o * t), t, v.AsSpan(xi * c * t), t, 0f, du.AsSpan(xi * o * c), c);
                }
            }))
            {
                yield return r;
            }
            foreach (var r in Time($"wino_b{b}_dx_gemms", scale, () =>
            {
                for (int xi = 0; xi < 16; xi++)
                {
                    DeepMetric.Tensors.Gemm.Multiply(true, false, c, t, o, 1f, u.AsSpan(xi * o * c), c, m.AsSpan(xi * o * t), t, 0f, v.AsSpan(xi * c * t), t);
                }
            }))
            {
                yield return r;
            }
            // The ceiling im2col would meet: its forward GEMM [O, C·9] · [C·9, B·Ho·Wo] for the same images.
            var col = new float[c * 9 * b * h * w];
            var yc = new float[o * b * h * w];
            foreach (var r in Time($"im2col_b{b}_fwd_gemm_only", scale, () =>
                DeepMetric.Tensors.Gemm.Multiply(false, false, o, b * h * w, c * 9, 1f, wt, c * 9, col, b * h * w, 0f, yc, b * h * w)))
            {
                yield return r;
            }
            foreach (var r in Time($"wino_b{b}_input_grad_transform", scale, () => Winograd.InputGradient(v, b, geo, dx, plane)))
            {
                yield return r;
            }
        }
    }

    // The fastest run of the wall clock and of the process CPU time (the machine is shared, and the minimum is the
    // least disturbed; with DEEPMETRIC_KERNEL_THREADS=1 the CPU time is one core's work).
    private static IEnumerable<BenchRecord> Time(string name, double scale, Action action)
    {
        action();
        var s = new double[Reps];
        var cpu = new double[Reps];
        for (int i = 0; i < Reps; i++)
        {
            double c0 = TrainStepProfile.ProcessCpuMs();
            long t0 = Stopwatch.GetTimestamp();
            action();
            s[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds * scale;
            cpu[i] = (TrainStepProfile.ProcessCpuMs() - c0) * scale;
        }
        Array.Sort(s);
        Array.Sort(cpu);
        yield return new BenchRecord(name, s[0], "ms");
        yield return new BenchRecord(name + "_cpu", cpu[0], "ms");
    }
}
