using System.Diagnostics;
using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Tensors;
using DeepMetric.Training;
using DeepMetric.Training.Recipes;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// <c>train --recipe NAME [--epochs N] [--seed S] [--profile] [--augment] [--prefetch N]</c>: trains a recipe on Fashion-MNIST classes 0–4 and
/// evaluates on the unseen test classes 5–9, printing JSON records: <c>train_samples_per_s</c> (batch gathering
/// excluded; the last epoch, as PML's bench counts it: steady state), <c>warmup_seconds</c> (the first epoch's time beyond the
/// steady rate: JIT and tier-up), <c>startup_seconds</c> (process start to the first step), split into
/// <c>runtime_start_seconds</c> (process start to this command: runtime and JIT of the entry path),
/// <c>data_load_seconds</c> and <c>baselines_seconds</c> (the untrained and raw-pixel baselines), the JIT's compile time and
/// method count before and during training (<c>jit_startup_seconds</c>, <c>jit_training_seconds</c>), <c>eval_seconds</c> (kNN + retrieval metrics of the test embeddings, embedding excluded),
/// <c>precision_at_1</c> and <c>map_at_r</c>, the untrained network's and the raw pixels' metrics, and the
/// seen-class MAP@R. <c>--profile</c> adds the mean time per step of each phase. <c>--augment</c> trains with
/// crop-and-flip augmentation read through the dataset; <c>--prefetch N</c> sets <see cref="Trainer.PrefetchDepth"/>
/// (default 2); <c>data_wait_share</c> is the share of the training wall time spent waiting for batches.
/// </summary>
public static class RecipeTraining
{
    private static readonly int[] s_ks = [1, 2, 4, 8];

    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        var processStart = Process.GetCurrentProcess().StartTime;
        double runtimeStart = (DateTime.Now - processStart).TotalSeconds;
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        string? name = null;
        int epochs = 2;
        ulong seed = 0;
        bool profile = false, augment = false;
        int prefetch = 2;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--recipe" when i + 1 < args.Length:
                    name = args[++i];
                    break;
                case "--epochs" when i + 1 < args.Length:
                    epochs = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--seed" when i + 1 < args.Length:
                    seed = ulong.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--profile":
                    profile = true;
                    break;
                case "--augment":
                    augment = true;
                    break;
                case "--prefetch" when i + 1 < args.Length:
                    prefetch = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: train --recipe NAME [--epochs N] [--seed S] [--profile] [--augment] [--prefetch N]");
                    return 2;
            }
        }
        if (name is null || Recipes.Find(name) is not { } recipe)
        {
            Console.Error.WriteLine($"--recipe NAME is required; known: mlp-/cnn- + {string.Join(", ", Recipes.Names)}.");
            return 2;
        }

        long l0 = Stopwatch.GetTimestamp();
        var data = FashionMnist.Load();
        var (train, test) = data.OpenSetSplit();
        if (augment)
        {
            train = ((ImageDataset)train).WithAugmenter(Augmenter.CropAndFlip(padding: 2, flip: true, seed: seed));
        }
        var seenTest = data.SeenClassesSplit().Test;
        var context = new RecipeContext(train.Labels.ToArray().Max() + 1, recipe.EmbeddingSize, seed);
        var model = recipe.CreateModel(seed);
        var trainer = new Trainer(model, recipe.CreateLoss(context), recipe.CreateMiner(context), recipe.CreateOptimizer,
            recipe.CreateSampler(train.Labels, seed))
        {
            PrefetchDepth = prefetch,
        };
        double dataLoad = Stopwatch.GetElapsedTime(l0).TotalSeconds;
        void Emit(string metric, double value, string unit) => output.WriteLine(QuickRegistry.ToJson(new BenchRecord($"{recipe.Name}/{metric}", value, unit)));

        long b0 = Stopwatch.GetTimestamp();
        var untrained = RetrievalMetrics.Compute(trainer.Embed(test), test.Labels, s_ks);
        Emit("untrained_precision_at_1", untrained.PrecisionAt1, "");
        Emit("untrained_map_at_r", untrained.MapAtR, "");
        var raw = RetrievalMetrics.Compute(Baselines.RawPixels(test), test.Labels, s_ks);
        Emit("raw_pixels_precision_at_1", raw.PrecisionAt1, "");
        Emit("raw_pixels_map_at_r", raw.MapAtR, "");
        double baselines = Stopwatch.GetElapsedTime(b0).TotalSeconds;

        if (profile)
        {
            Profile(trainer, train, Emit);
        }
        double startup = (DateTime.Now - processStart).TotalSeconds;
        // Time the JIT spent compiling (all threads), before training and during it: what ReadyToRun and the tiering
        // settings change, and less disturbed by other load than the wall clock.
        var jitStartup = System.Runtime.JitInfo.GetCompilationTime();
        long jitStartupMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
        var steps = new StepClock();
        var results = trainer.Fit(train, epochs, progress: steps);
        var jitTraining = System.Runtime.JitInfo.GetCompilationTime() - jitStartup;
        long jitTrainingMethods = System.Runtime.JitInfo.GetCompiledMethodCount() - jitStartupMethods;
        // Throughput counted as PML's bench counts it: the last epoch (steady state). The first epoch also pays for
        // JIT compilation and tier-up; its extra time over the steady rate is reported apart, as warm-up.
        double steady = results[^1].SamplesPerSecond;
        double samples = 0, seconds = 0;
        foreach (var r in results)
        {
            samples += r.Iterations * (double)recipe.BatchSize;
            seconds += r.Iterations * (double)recipe.BatchSize / r.SamplesPerSecond;
        }
        double firstSamples = results[0].Iterations * (double)recipe.BatchSize;
        Emit("train_samples_per_s", steady, "samples/s");
        Emit("train_samples_per_s_all_epochs", samples / seconds, "samples/s");
        Emit("first_epoch_samples_per_s", results[0].SamplesPerSecond, "samples/s");
        if (results.Count > 1)
        {
            // One epoch has no steady epoch to compare its first with.
            Emit("warmup_seconds", Math.Max(0, (firstSamples / results[0].SamplesPerSecond) - (firstSamples / steady)), "s");
        }
        Emit("startup_seconds", startup, "s");
        Emit("runtime_start_seconds", runtimeStart, "s");
        Emit("data_load_seconds", dataLoad, "s");
        Emit("baselines_seconds", baselines, "s");
        Emit("jit_startup_seconds", jitStartup.TotalSeconds, "s");
        Emit("jit_startup_methods", jitStartupMethods, "methods");
        Emit("jit_training_seconds", jitTraining.TotalSeconds, "s");
        Emit("jit_training_methods", jitTrainingMethods, "methods");
        // The same split in process CPU time, which other load on a shared machine disturbs far less than the wall
        // clock: the steady per-step cost (median over the last epoch) and the first steps' excess over it.
        var (steadyCpu, firstStepCpu, warmupCpu) = steps.Summary(results[^1].Iterations);
        Emit("step_cpu_ms_steady", steadyCpu, "ms");
        Emit("first_step_cpu_ms", firstStepCpu, "ms");
        Emit("warmup_cpu_seconds", warmupCpu, "s");
        Emit("final_loss", results[^1].MeanLoss, "");
        Emit("data_wait_share", results.Sum(r => r.DataWaitSeconds) / results.Sum(r => r.TrainSeconds), "");

        long e0 = Stopwatch.GetTimestamp();
        var embeddings = trainer.Embed(test);
        double embedSeconds = Stopwatch.GetElapsedTime(e0).TotalSeconds;
        // Best of three: the first pass also pays for JIT compilation.
        double evalSeconds = double.MaxValue;
        Metrics trained = null!;
        for (int rep = 0; rep < 3; rep++)
        {
            long m0 = Stopwatch.GetTimestamp();
            trained = RetrievalMetrics.Compute(embeddings, test.Labels, s_ks);
            evalSeconds = Math.Min(evalSeconds, Stopwatch.GetElapsedTime(m0).TotalSeconds);
        }
        Emit("embed_seconds", embedSeconds, "s");
        Emit("eval_seconds", evalSeconds, "s");
        Emit("precision_at_1", trained.PrecisionAt1, "");
        Emit("map_at_r", trained.MapAtR, "");
        Emit("seen_map_at_r", RetrievalMetrics.Compute(trainer.Embed(seenTest), seenTest.Labels, s_ks).MapAtR, "");
        return 0;
    }

    // Median time of each phase of a training step (run as Trainer.Step does, inside a TensorScope), and of each
    // backward graph node, over 60 steps after 10 of warm-up (this trains the model a little, so it runs before
    // Fit only when asked for). Medians: this machine is shared.
    private static void Profile(Trainer trainer, IDataset train, Action<string, double, string> emit)
    {
        const int Warmup = 10, Steps = 60;
        var t = new List<double>[8];
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = [];
        }
        var nodes = new Dictionary<string, List<double>>();
        var thisStep = new Dictionary<string, double>();
        double tuples = 0;
        long allocated = 0;
        for (int s = 0; s < Warmup + Steps; s++)
        {
            long p0 = Stopwatch.GetTimestamp();
            var indices = trainer.Sampler.NextBatch();
            var images = train.Batch(indices);
            var labels = new int[indices.Length];
            for (int j = 0; j < labels.Length; j++)
            {
                labels[j] = train.Labels[indices[j]];
            }
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            double cpu0 = TrainStepProfile.ProcessCpuMs();
            long p1 = Stopwatch.GetTimestamp();
            long p2, p3, p4, p5, p6;
            thisStep.Clear();
            using (TensorScope.Enter())
            {
                trainer.Optimizer.ZeroGrad(reuseStorage: true);
                var embeddings = trainer.Model.Forward(images);
                p2 = Stopwatch.GetTimestamp();
                var mined = trainer.Miner?.Mine(embeddings, labels);
                p3 = Stopwatch.GetTimestamp();
                var loss = trainer.Loss.Compute(embeddings, labels, mined);
                _ = loss.Item();
                p4 = Stopwatch.GetTimestamp();
                if (loss.RequiresGrad)
                {
                    Tensor.BackwardProfiler = (name, ms) => thisStep[name] = thisStep.GetValueOrDefault(name) + ms;
                    try
                    {
                        loss.Backward();
                    }
                    finally
                    {
                        Tensor.BackwardProfiler = null;
                    }
                }
                p5 = Stopwatch.GetTimestamp();
                trainer.Optimizer.Step();
                tuples += s >= Warmup ? (mined?.Count ?? 0) / (double)Steps : 0;
            }
            p6 = Stopwatch.GetTimestamp();
            double cpu = TrainStepProfile.ProcessCpuMs() - cpu0;
            if (s >= Warmup)
            {
                t[7].Add(cpu);
                allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                long[] marks = [p0, p1, p2, p3, p4, p5, p6];
                for (int i = 0; i < 6; i++)
                {
                    t[i].Add(Stopwatch.GetElapsedTime(marks[i], marks[i + 1]).TotalMilliseconds);
                }
                t[6].Add(Stopwatch.GetElapsedTime(p1, p6).TotalMilliseconds);
                foreach (var (name, ms) in thisStep)
                {
                    if (!nodes.TryGetValue(name, out var list))
                    {
                        nodes[name] = list = [];
                    }
                    list.Add(ms);
                }
            }
        }
        // step_cpu: CPU time of the whole process over the step (less disturbed by other load than the wall time).
        string[] names = ["gather", "forward", "mine", "loss", "backward", "update", "step", "step_cpu"];
        for (int i = 0; i < names.Length; i++)
        {
            emit($"profile_{names[i]}", Median(t[i]), "ms/step");
        }
        foreach (var (name, list) in nodes)
        {
            emit($"profile_backward_{name}", Median(list), "ms/step");
        }
        emit("profile_mined_tuples", tuples, "tuples/step");
        emit("profile_allocated", allocated / (double)Steps, "bytes/step");
    }

    // Process CPU time at the end of every training step (reported synchronously by Trainer.Fit).
    private sealed class StepClock : IProgress<TrainingProgress>
    {
        private readonly List<double> _cpuMs = [TrainStepProfile.ProcessCpuMs()];

        public void Report(TrainingProgress value)
        {
            if (value.EpochEnd is null)
            {
                _cpuMs.Add(TrainStepProfile.ProcessCpuMs());
            }
        }

        // (median CPU ms of the last epoch's steps, CPU ms of the first step, CPU seconds of the first 100 steps
        // beyond 100 steady ones)
        public (double Steady, double First, double Warmup) Summary(int lastEpochSteps)
        {
            var deltas = new List<double>();
            for (int i = 1; i < _cpuMs.Count; i++)
            {
                deltas.Add(_cpuMs[i] - _cpuMs[i - 1]);
            }
            if (deltas.Count == 0)
            {
                return (double.NaN, double.NaN, double.NaN);
            }
            double steady = Median(deltas.GetRange(Math.Max(0, deltas.Count - lastEpochSteps), Math.Min(lastEpochSteps, deltas.Count)));
            int head = Math.Min(100, deltas.Count);
            return (steady, deltas[0], (deltas.Take(head).Sum() - (head * steady)) / 1e3);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }
}
