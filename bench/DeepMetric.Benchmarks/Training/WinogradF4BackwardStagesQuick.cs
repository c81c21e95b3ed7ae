using System.Diagnostics;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// Stage timings of the Winograd backward pass, F(4×4, 3×3) beside F(2×2, 3×3), on ResNet-18's 3×3 stride-1 layers at
/// batch 32, on the calling thread for one unit (a chunk of images or a band of one image), scaled to the batch: dM
/// from the output gradient, V recomputed from the input, the ξ products (dU with V transposed, dV), dx from dV.
/// DEEPMETRIC_KERNEL_THREADS=1 keeps the products on one thread; the figures are then one core's work per batch.
/// First the whole op's backward by F(4,3) and by F(2,3) (DEEPMETRIC_F4B_FORCE=1: F(4,3) even where the shape rule
/// keeps F(2,3); DEEPMETRIC_F4B_OPONLY=1: only these).
/// </summary>
public static class WinogradF4BackwardStagesQuick
{
    private const int Reps = 7;

    public static IEnumerable<BenchRecord> Run()
    {
        const int n = 32;
        var table = new System.Text.StringBuilder();
        // c (= o), side, F(4,3) units as (images, tile rows; 0 = all), F(2,3) units likewise
        (int C, int Side, (int B, int Rows)[] F4, (int B, int Rows)[] F2)[] layers =
        [
            (64, 56, [(1, 3), (1, 7), (1, 0), (2, 0)], [(1, 7), (1, 14)]),
            (128, 28, [(1, 0), (2, 0), (4, 0), (8, 0)], [(1, 0), (2, 0)]),
            (256, 14, [(2, 0), (4, 0), (8, 0), (16, 0)], [(2, 0), (4, 0)]),
            (512, 7, [(8, 0), (16, 0), (32, 0)], [(4, 0), (16, 0)]),
        ];
        var rng = new Prng(9);
        foreach (var (c, side, f4Units, f2Units) in layers)
        {
            int o = c;
            var geo = new ConvGeometry(c, side, side, 3, 3, 1, 1, 1);
            var x = Tensor.Rand(rng, [n, c, side, side], -1f, 1f).ToArray();
            var wt = Tensor.Rand(rng, [o, c, 3, 3], -0.1f, 0.1f).ToArray();
            var dy = Tensor.Rand(rng, [n, o, side, side], -1f, 1f).ToArray();
            // The whole op, forward recorded then backward timed, by F(4,3) and by F(2,3) (ForceF2), batch 32.
            var xt = new Tensor(x, [n, c, side, side]) { RequiresGrad = true };
            var wtt = new Tensor(wt, [o, c, 3, 3]) { RequiresGrad = true };
            var gt = new Tensor(dy, [n, o, side, side]);
            foreach (bool f2 in new[] { false, true, false, true })
            {
                WinogradF4.ForceF2 = f2;
                WinogradF4Backward.Force = !f2 && Environment.GetEnvironmentVariable("DEEPMETRIC_F4B_FORCE") == "1";
                try
                {
                    double best = double.MaxValue;
                    for (int rep = 0; rep < 4; rep++)
                    {
                        using var scope = TensorScope.Enter();
                        xt.Grad = null;
                        wtt.Grad = null;
                        var y = Ops.Conv2d(xt, wtt, null, 1, 1);
                        long s0 = Stopwatch.GetTimestamp();
                        y.Backward(gt);
                        best = Math.Min(best, Stopwatch.GetElapsedTime(s0).TotalMilliseconds);
                    }
                    table.AppendLine(FormattableString.Invariant($"op {c}@{side} backward {(f2 ? "F(2,3)" : "F(4,3)")}: {best,6:F1} ms (min of 4)"));
                    yield return new BenchRecord(FormattableString.Invariant($"op_{c}_{side}_{(f2 ? "f2" : "f4")}_bwd_ms"), best, "ms");
                }
                finally
                {
                    WinogradF4.ForceF2 = false;
                    WinogradF4Backward.Force = false;
                }
            }
            if (Environment.GetEnvironmentVariable("DEEPMETRIC_F4B_OPONLY") == "1")
            {
                continue;
            }
            foreach (bool f4 in new[] { true, false })
            {
                int xis = f4 ? WinogradF4.Xi : Winograd.Xi;
                int th = f4 ? WinogradF4.TilesH(geo) : Winograd.TilesH(geo), tw = f4 ? WinogradF4.TilesW(geo) : Winograd.TilesW(geo);
                var u = new float[xis * o * c];
                var du = new float[xis * o * c];
                if (f4)
                {
                    WinogradF4.TransformWeights(wt, o, c, u);
                }
                else
                {
                    Winograd.TransformWeights(wt, o, c, u);
                }
                var plane = new float[Math.Max(Math.Max(WinogradF4.PlaneScratch(geo), WinogradF4Backward.PlaneScratch(geo)), Winograd.PlaneScratch(geo))];
                var dx = new float[n * c * side * side];
                foreach (var (b, rowsIn) in f4 ? f4Units : f2Units)
                {
                    int rows = rowsIn == 0 ? th : rowsIn, t = b * rows * tw;
                    double scale = n * th / (double)(b * rows);
                    var dm = new float[xis * o * t];
                    var v = new float[xis * c * t];
                    var vt = new float[c * t];
                    var bias = new double[o];
                    var dySlice = dy.AsSpan(0, b * o * side * side).ToArray();
                    var xSlice = x.AsSpan(0, b * c * side * side).ToArray();
                    double og = Time(scale, () =>
                    {
                        if (f4)
                        {
                            WinogradF4Backward.OutputGradient(dySlice, b, o, geo, dm, bias, 0, rows);
                        }
                        else
                        {
                            Winograd.OutputGradient(dySlice, b, o, geo, dm, bias, 0, rows);
                        }
                    });
                    double ti = Time(scale, () =>
                    {
                        if (f4)
                        {
                            WinogradF4.TransformInput(xSlice, b, geo, v, plane, 0, rows);
                        }
                        else
                        {
                            Winograd.TransformInput(xSlice, b, geo, v, plane, 0, rows);
                        }
                    });
                    double dwg = Time(scale, () =>
                    {
                        for (int xi = 0; xi < xis; xi++)
                        {
                            Winograd.Transpose(v.AsSpan(xi * c * t, c * t), c, t, vt);
                            DeepMetric.Tensors.Gemm.Multiply(false, false, o, c, t, 1f, dm.AsSpan(xi * o * t, o * t), t, vt, c, 1f, du.AsSpan(xi * o * c, o * c), c);
                        }
                    });
                    double dxg = Time(scale, () =>
                    {
                        for (int xi = 0; xi < xis; xi++)
                        {
                            DeepMetric.Tensors.Gemm.Multiply(true, false, c, t, o, 1f, u.AsSpan(xi * o * c, o * c), c, dm.AsSpan(xi * o * t, o * t), t, 0f, v.AsSpan(xi * c * t, c * t), t);
                        }
                    });
                    double ig = Time(scale, () =>
                    {
                        if (f4)
                        {
                            WinogradF4Backward.InputGradient(v, b, geo, dx, plane, 0, rows);
                        }
                        else
                        {
                            Winograd.InputGradient(v, b, geo, dx, plane, 0, rows);
                        }
                    });
                    double wg = Time(1, () =>
                    {
                        var dw = new float[o * c * 9];
                        if (f4)
                        {
                            WinogradF4Backward.WeightGradient(du, o, c, dw);
                        }
                        else
                        {
                            Winograd.WeightGradient(du, o, c, dw);
                        }
                    });
                    string name = FormattableString.Invariant($"{(f4 ? "f4" : "f2")}_{c}_{side}_b{b}_r{rows}");
                    double total = og + ti + dwg + dxg + ig + wg;
                    table.AppendLine(FormattableString.Invariant(
                        $"{name,-20} T {t,5}  dM {og,6:F1}  V {ti,6:F1}  dU {dwg,6:F1}  dV {dxg,6:F1}  dx {ig,6:F1}  dW {wg,5:F1}  total {total,6:F1} ms"));
                    yield return new BenchRecord(name + "_total_ms", total, "ms");
                }
            }
        }
        Console.Error.Write(table.ToString());
    }

    // The fastest wall-clock time of one call (each sample runs the call often enough to take ≥ 20 ms, the least disturbed
    // of 7 samples on a shared machine), scaled to the batch; run with DEEPMETRIC_KERNEL_THREADS=1 for one core's work.
    private static double Time(double scale, Action action)
    {
        action();
        long t0 = Stopwatch.GetTimestamp();
        action();
        double once = Math.Max(1e-3, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        int inner = (int)Math.Clamp(20 / once, 1, 1000);
        double best = double.MaxValue;
        for (int i = 0; i < Reps; i++)
        {
            long s0 = Stopwatch.GetTimestamp();
            for (int k = 0; k < inner; k++)
            {
                action();
            }
            best = Math.Min(best, Stopwatch.GetElapsedTime(s0).TotalMilliseconds / inner * scale);
        }
        return best;
    }
}
