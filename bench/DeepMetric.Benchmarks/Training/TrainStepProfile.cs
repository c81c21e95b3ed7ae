using System.Diagnostics;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// Where the reference CNN training step spends its time: median forward time of each stage, median backward
/// time of each graph node (through <c>Tensor.BackwardProfiler</c>), the Adam update, and the whole step, with
/// 3×3 convolutions on the default path (Winograd where it applies) and forced onto im2col; medians and minima.
/// The stages are the model's layers grouped as <see cref="Sequential"/> fuses them (conv → ReLU → pool runs as one
/// op), so the profile times the path a recipe runs; for the loss, a multi-similarity miner and loss on
/// L2-normalised embeddings as in the <c>cnn-ms</c> recipe (<c>--recipe</c> timings, <c>train --profile</c>, cover
/// the other losses).
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
        var layers = TrainStepQuick.Cnn(new Prng(1));
        // The stages Sequential fuses, each a Sequential of its own so it takes the same fused path.
        Sequential Stage(int from, int count) => new(Enumerable.Range(from, count).Select(i => layers[i]).ToArray());
        (string Name, Sequential Module)[] stages =
        [
            ("conv1_relu_pool", Stage(0, 3)), ("conv2_relu_pool", Stage(3, 3)), ("flatten", Stage(6, 1)),
            ("fc1_relu", Stage(7, 2)), ("fc2", Stage(9, 1)),
        ];
        var rng = new Prng(7);
        var x = Tensor.Rand(rng, [Batch, 1, 28, 28]);
        // m-per-class 32, as the recipes sample: four classes of 32.
        var labels = new int[Batch];
        for (int i = 0; i < Batch; i++)
        {
            labels[i] = i / 32;
        }
        var miner = new MultiSimilarityMiner(0.1f);
        var lossFn = new MultiSimilarityLoss();
        var opt = new Adam(layers.Parameters(), lr: 1e-3f);
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
                foreach (var (name, module) in stages)
                {
                    long l0 = Stopwatch.GetTimestamp();
                    h = module.Forward(h);
                    if (keep)
                    {
                        Add($"fwd_{name}", Stopwatch.GetElapsedTime(l0).TotalMilliseconds);
                    }
                }
                long c0 = Stopwatch.GetTimestamp();
                h = Ops.L2Normalize(h);
                var mined = miner.Mine(h, labels);
                long m1 = Stopwatch.GetTimestamp();
                var loss = lossFn.Compute(h, labels, mined);
                _ = loss.Item();
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
                    Add("fwd_normalize_mine", Stopwatch.GetElapsedTime(c0, m1).TotalMilliseconds);
                    Add("fwd_ms_loss", Stopwatch.GetElapsedTime(m1, t1).TotalMilliseconds);
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
