using System.Diagnostics;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// One training step (forward, cross-entropy on the 64 outputs, backward, Adam update) at batch 128 for the
/// issue's reference MLP (784-256-256-64) and CNN (conv3×3 1→32, ReLU, pool, conv3×3 32→64, ReLU, pool, 128, 64).
/// Each step runs in a <see cref="TensorScope"/>, as the trainer does. Reports the median step time, the forward/backward/update split, and bytes allocated per step.
/// </summary>
public static class TrainStepQuick
{
    private const int Batch = 128;

    // Steps before timing: .NET's tiered JIT moves a method through unoptimised, instrumented and optimised code over
    // its first ~60 calls, and these per-step methods are called once a step; a training run is thousands of steps.
    private const int Warmup = 60;

    public static Sequential Mlp(Prng rng) => new(
        new Flatten(), new Linear(784, 256, rng: rng), new ReLU(), new Linear(256, 256, rng: rng), new ReLU(), new Linear(256, 64, rng: rng));

    public static Sequential Cnn(Prng rng) => new(
        new Conv2d(1, 32, 3, padding: 1, rng: rng), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3, padding: 1, rng: rng), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(64 * 7 * 7, 128, rng: rng), new ReLU(), new Linear(128, 64, rng: rng));

    public static IEnumerable<BenchRecord> RunMlp() => Run("mlp", Mlp(new Prng(1)), 60);

    public static IEnumerable<BenchRecord> RunCnn() => Run("cnn", Cnn(new Prng(1)), 25);

    private static IEnumerable<BenchRecord> Run(string name, Module model, int steps)
    {
        var rng = new Prng(7);
        var x = Tensor.Rand(rng, [Batch, 1, 28, 28]);
        var targets = new int[Batch];
        for (int i = 0; i < Batch; i++)
        {
            targets[i] = rng.NextInt(64);
        }
        var opt = new Adam(model.Parameters(), lr: 1e-3f);
        double[] fwd = new double[steps], bwd = new double[steps], upd = new double[steps], total = new double[steps], cpu = new double[steps];
        long bytes = 0;
        for (int s = -Warmup; s < steps; s++)
        {
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            double c0 = TrainStepProfile.ProcessCpuMs();
            long t0 = Stopwatch.GetTimestamp();
            using var scope = TensorScope.Enter();
            opt.ZeroGrad(setToNone: false);
            var loss = Ops.CrossEntropy(model.Forward(x), targets);
            long t1 = Stopwatch.GetTimestamp();
            loss.Backward();
            long t2 = Stopwatch.GetTimestamp();
            opt.Step();
            scope.Dispose();
            long t3 = Stopwatch.GetTimestamp();
            if (s >= 0)
            {
                fwd[s] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
                bwd[s] = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
                upd[s] = Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
                total[s] = Stopwatch.GetElapsedTime(t0, t3).TotalMilliseconds;
                cpu[s] = TrainStepProfile.ProcessCpuMs() - c0;
                bytes += GC.GetAllocatedBytesForCurrentThread() - a0;
            }
        }
        yield return new BenchRecord($"{name}_train_step", Median(total), "ms");
        // Process CPU time of a step (all threads): on a shared machine far steadier than the wall clock.
        yield return new BenchRecord($"{name}_train_step_cpu", Median(cpu), "ms");
        yield return new BenchRecord($"{name}_train_step_forward", Median(fwd), "ms");
        yield return new BenchRecord($"{name}_train_step_backward", Median(bwd), "ms");
        yield return new BenchRecord($"{name}_train_step_update", Median(upd), "ms");
        yield return new BenchRecord($"{name}_train_step_alloc", bytes / (double)steps, "bytes");
    }

    private static double Median(double[] v)
    {
        var s = (double[])v.Clone();
        Array.Sort(s);
        return s[s.Length / 2];
    }
}
