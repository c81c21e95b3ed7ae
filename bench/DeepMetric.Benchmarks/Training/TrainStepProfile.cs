using System.Diagnostics;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// Where the reference CNN training step spends its time: median forward time of each layer, median backward
/// time of each graph node (through <c>Tensor.BackwardProfiler</c>), the Adam update, and the whole step, with
/// 3×3 convolutions on the default path (Winograd where it applies) and forced onto im2col; medians and minima.
/// </summary>
public static class TrainStepProfile
{
    private const int Batch = 128;
    private const int Steps = 20;

    public static IEnumerable<BenchRecord> Run()
    {
        foreach (var record in Profile("default", forceIm2Col: false))
        {
            yield return record;
        }
        foreach (var record in Profile("im2col", forceIm2Col: true))
        {
            yield return record;
        }
    }

    private static List<BenchRecord> Profile(string tag, bool forceIm2Col)
    {
        var model = TrainStepQuick.Cnn(new Prng(1));
        var rng = new Prng(7);
        var x = Tensor.Rand(rng, [Batch, 1, 28, 28]);
        var targets = new int[Batch];
        for (int i = 0; i < Batch; i++)
        {
            targets[i] = rng.NextInt(64);
        }
        var opt = new Adam(model.Parameters(), lr: 1e-3f);
        var times = new Dictionary<string, List<double>>();
        void Add(string name, double ms)
        {
            if (!times.TryGetValue(name, out var list))
            {
                times[name] = list = [];
            }
            list.Add(ms);
        }

        var backwardThisStep = new Dictionary<string, double>();
        Winograd.ForceIm2Col = forceIm2Col;
        try
        {
            for (int s = -3; s < Steps; s++)
            {
                bool keep = s >= 0;
                backwardThisStep.Clear();
                double cpu0 = ProcessCpuMs();
                long t0 = Stopwatch.GetTimestamp();
                using var scope = TensorScope.Enter();
                opt.ZeroGrad(setToNone: false);
                var h = x;
                int layer = 0;
                foreach (var module in model)
                {
                    long l0 = Stopwatch.GetTimestamp();
                    h = module.Forward(h);
                    if (keep)
                    {
                        Add($"fwd{layer}_{module.GetType().Name}", Stopwatch.GetElapsedTime(l0).TotalMilliseconds);
                    }
                    layer++;
                }
                long c0 = Stopwatch.GetTimestamp();
                var loss = Ops.CrossEntropy(h, targets);
                long t1 = Stopwatch.GetTimestamp();
                var counts = new Dictionary<string, int>();
                Tensor.BackwardProfiler = (name, ms) =>
                {
                    counts[name] = counts.GetValueOrDefault(name) + 1;
                    backwardThisStep[$"bwd_{name}{counts[name]}"] = ms;
                };
                loss.Backward();
                Tensor.BackwardProfiler = null;
                long t2 = Stopwatch.GetTimestamp();
                opt.Step();
                scope.Dispose();
                long t3 = Stopwatch.GetTimestamp();
                if (keep)
                {
                    Add("fwd_cross_entropy", Stopwatch.GetElapsedTime(c0, t1).TotalMilliseconds);
                    foreach (var (name, ms) in backwardThisStep)
                    {
                        Add(name, ms);
                    }
                    Add("backward_total", Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                    Add("update", Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds);
                    Add("step", Stopwatch.GetElapsedTime(t0, t3).TotalMilliseconds);
                    Add("step_cpu", ProcessCpuMs() - cpu0);
                }
            }
        }
        finally
        {
            Winograd.ForceIm2Col = false;
            Tensor.BackwardProfiler = null;
        }
        var records = new List<BenchRecord>();
        foreach (var (name, list) in times)
        {
            // The minimum as well as the median: on a shared machine it is the least disturbed figure.
            records.Add(new BenchRecord($"cnnprofile_{tag}_{name}", Median(list), "ms"));
            records.Add(new BenchRecord($"cnnprofile_{tag}_{name}_min", Min(list), "ms"));
        }
        return records;
    }

    // CPU time of the whole process (all threads): with a single-threaded GEMM it is the step's work, unaffected
    // by waiting for a CPU on a loaded machine.
    internal static double ProcessCpuMs()
    {
        _ = ClockGetTime(2, out var ts); // CLOCK_PROCESS_CPUTIME_ID
        return (ts.Seconds * 1e3) + (ts.Nanoseconds / 1e6);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static double Min(List<double> v)
    {
        double m = double.MaxValue;
        foreach (var x in v)
        {
            m = Math.Min(m, x);
        }
        return m;
    }

    private static double Median(List<double> v)
    {
        var s = v.ToArray();
        Array.Sort(s);
        return s[s.Length / 2];
    }
}
