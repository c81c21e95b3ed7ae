using System.Diagnostics;
using DeepMetric.Onnx;
using DeepMetric.Onnx.Export;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;
using Microsoft.ML.OnnxRuntime;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Benchmarks.Onnx;

/// <summary>
/// The ImageNet ResNet-18 (ResNet18.onnx of Microsoft.ML.DnnImageFeaturizer.ResNet18) at 224×224: our imported
/// module against ONNX Runtime (default session options, the same graph exported by us with a dynamic batch), forward
/// at batch 1 and 32, run back to back and interleaved, min and median images/s over the repeats; plus one fine-tuning
/// step at batch 32 (every weight trainable, a 512→1000 linear layer and cross-entropy on top, SGD with momentum), the
/// figure to set beside <c>bench/reference/resnet18_torch.py</c>. The file is found through DEEPMETRIC_RESNET18 or the
/// NuGet package folder; without it the benchmark reports nothing.
/// </summary>
public static class ResNet18Quick
{
    private const int Side = 224;
    private const int Batch = 32;

    public static IEnumerable<BenchRecord> Run()
    {
        if (Environment.GetEnvironmentVariable("DEEPMETRIC_R18_PROFILE") == "convs1")
        {
            BatchOneConvs();
            return [];
        }
        var path = FindModel();
        if (path is null)
        {
            Console.Error.WriteLine("resnet18: ResNet18.onnx not found (set DEEPMETRIC_RESNET18 or restore Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0); skipped.");
            return [];
        }
        int repeats = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_REPEATS"), out int r) && r > 0 ? r : 5;
        var module = OnnxModule.FromFile(path);
        module.SetTrainable(false);
        if (Environment.GetEnvironmentVariable("DEEPMETRIC_R18_PROFILE") == "ours")
        {
            OursOnly(module);
            return [];
        }
        var bytes = OnnxExporter.ToBytes(module, new OnnxExportOptions(3, Side, Side));
        using var session = new InferenceSession(bytes);
        string ortInput = session.InputMetadata.Keys.First();

        var rng = new Prng(11);
        var x1 = Tensor.Rand(rng, [1, 3, Side, Side], -120f, 130f);
        var xb = Tensor.Rand(rng, [Batch, 3, Side, Side], -120f, 130f);
        var ort1 = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x1.ToArray(), new[] { 1, 3, Side, Side });
        var ortB = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(xb.ToArray(), new[] { Batch, 3, Side, Side });

        // Fine-tuning: a fresh copy with trainable weights (BatchNorm statistics stay frozen, as imported).
        var tuned = OnnxModule.FromFile(path).SetTrainable(true);
        var head = new Linear(512, 1000, rng: new Prng(12));
        var opt = new Sgd(tuned.Parameters().Concat(head.Parameters()), 1e-3f, momentum: 0.9f);
        var labels = Enumerable.Range(0, Batch).Select(i => (i * 37) % 1000).ToArray();

        var times = new Dictionary<string, List<double>>();
        // Process CPU seconds per case too (all threads): steadier than wall time when other jobs share the cores.
        var cpuTimes = new Dictionary<string, List<double>>();
        void Time(string key, Action a, bool keep)
        {
            double c0 = Training.TrainStepProfile.ProcessCpuMs();
            long t0 = Stopwatch.GetTimestamp();
            a();
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            double cs = (Training.TrainStepProfile.ProcessCpuMs() - c0) / 1e3;
            if (keep)
            {
                (times.TryGetValue(key, out var l) ? l : times[key] = []).Add(s);
                (cpuTimes.TryGetValue(key, out var lc) ? lc : cpuTimes[key] = []).Add(cs);
            }
        }
        // DEEPMETRIC_R18_NOSTEP=1 leaves the fine-tuning step out (forward comparisons only, a quarter of the run).
        bool withStep = Environment.GetEnvironmentVariable("DEEPMETRIC_R18_NOSTEP") != "1";
        void Ours(Tensor x)
        {
            using var scope = TensorScope.Enter();
            using (Tensor.NoGrad())
            {
                _ = module.Forward(x);
            }
        }
        void Ort(Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float> x)
        {
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(ortInput, x)]);
            _ = results.First().AsTensor<float>().Length;
        }
        void Step()
        {
            using var scope = TensorScope.Enter();
            opt.ZeroGrad();
            var f = tuned.Forward(xb);
            var logits = head.Forward(Ops.Reshape(f, Batch, 512));
            Ops.CrossEntropy(logits, labels).Backward();
            opt.Step();
        }

        // One warm-up round, then the repeats; every repeat runs each case once, so load elsewhere hits all alike.
        for (int rep = -1; rep < repeats; rep++)
        {
            bool keep = rep >= 0;
            Time("ours_b1", () => Ours(x1), keep);
            Time("ort_b1", () => Ort(ort1), keep);
            Time("ours_b32", () => Ours(xb), keep);
            Time("ort_b32", () => Ort(ortB), keep);
            if (withStep)
            {
                Time("ours_step_b32", Step, keep);
            }
        }

        if (Environment.GetEnvironmentVariable("DEEPMETRIC_R18_PROFILE") == "step")
        {
            // Where the fine-tuning step goes: forward, backward by kind of graph node, and the optimizer update.
            ProfileStep(tuned, head, opt, xb, labels, Math.Max(repeats, 3));
            return [];
        }
        if (Environment.GetEnvironmentVariable("DEEPMETRIC_R18_PROFILE") == "b1")
        {
            // Batch 1 only (the per-image cost is several times batch 32's): profile and no timing table.
            Profile(module, x1, Math.Max(repeats, 5));
            return [];
        }
        if (Environment.GetEnvironmentVariable("DEEPMETRIC_R18_PROFILE") == "1")
        {
            Profile(module, xb, repeats);
            // The default backbone recipe's graph (two stages, GeM) at the 128 px the Fashion-MNIST recipe uses.
            var recipe = DeepMetric.Onnx.Backbones.Backbone.Open("resnet18-imagenet", 128, DeepMetric.Onnx.Backbones.BackboneFeatures.Parse("stages=2,pool=gem"));
            Profile(recipe.Graph, Tensor.Rand(new Prng(13), [Batch, 3, 128, 128], -120f, 130f), repeats);
        }

        var records = new List<BenchRecord>();
        var table = new System.Text.StringBuilder();
        table.AppendLine(FormattableString.Invariant($"ResNet-18 224×224, {repeats} interleaved repeats ({Tensors.Gemm.Backend}); images/s best / median"));
        foreach (var (b, n) in new[] { ("b1", 1), ("b32", Batch) })
        {
            double oursBest = n / times[$"ours_{b}"].Min(), oursMed = n / Measure.Median(times[$"ours_{b}"]);
            double ortBest = n / times[$"ort_{b}"].Min(), ortMed = n / Measure.Median(times[$"ort_{b}"]);
            records.Add(new($"resnet18_forward_{b}_ours_images_per_s_best", oursBest, "images/s"));
            records.Add(new($"resnet18_forward_{b}_ours_images_per_s_median", oursMed, "images/s"));
            records.Add(new($"resnet18_forward_{b}_ort_images_per_s_best", ortBest, "images/s"));
            records.Add(new($"resnet18_forward_{b}_ort_images_per_s_median", ortMed, "images/s"));
            records.Add(new($"resnet18_forward_{b}_ours_vs_ort_best", oursBest / ortBest, "ratio"));
            records.Add(new($"resnet18_forward_{b}_ours_vs_ort_median", oursMed / ortMed, "ratio"));
            double oursCpu = cpuTimes[$"ours_{b}"].Min() * 1e3, ortCpu = cpuTimes[$"ort_{b}"].Min() * 1e3;
            records.Add(new($"resnet18_forward_{b}_ours_cpu_ms_min", oursCpu, "ms"));
            records.Add(new($"resnet18_forward_{b}_ort_cpu_ms_min", ortCpu, "ms"));
            table.AppendLine(FormattableString.Invariant($"forward batch {n,2}: ours {oursBest,7:F1} / {oursMed,7:F1}   ORT {ortBest,7:F1} / {ortMed,7:F1}   ratio {oursBest / ortBest:F2} / {oursMed / ortMed:F2}   CPU ms min ours {oursCpu:F0} ORT {ortCpu:F0}"));
        }
        if (!withStep)
        {
            Console.Error.Write(table.ToString());
            return records;
        }
        double stepMin = times["ours_step_b32"].Min() * 1e3, stepMed = Measure.Median(times["ours_step_b32"]) * 1e3;
        records.Add(new("resnet18_finetune_step_b32_ms_min", stepMin, "ms"));
        records.Add(new("resnet18_finetune_step_b32_ms_median", stepMed, "ms"));
        table.AppendLine(FormattableString.Invariant($"fine-tune step batch {Batch}: {stepMin:F0} ms min, {stepMed:F0} ms median"));
        Console.Error.Write(table.ToString());
        return records;
    }


    // Fine-tuning step split into every part it has: ZeroGrad, backbone forward (by kind of plan node), head and loss,
    // backward (by kind of graph node: the name without its trailing count; "(outside nodes)" is the rest of Backward:
    // ordering, leaf gradients), update and the scope's disposal, each in wall and in process CPU time (all threads;
    // steadier than wall time when other jobs share the cores), with the GC's and the buffer pool's work per step.
    // Each part's fastest repeat, and min and median over repeats for the whole step.
    private static void ProfileStep(Module tuned, Module head, Optimizer opt, Tensor x, int[] labels, int repeats)
    {
        var wallBest = new Dictionary<string, double>();
        var cpuBest = new Dictionary<string, double>();
        var order = new List<string>();
        var steps = new List<double>();
        var cpus = new List<double>();
        static double Cpu() => Training.TrainStepProfile.ProcessCpuMs();
        static double Now() => Stopwatch.GetTimestamp() * 1e3 / Stopwatch.Frequency;
        int gen0 = 0, gen1 = 0, gen2 = 0;
        double pauseMs = 0;
        long allocated = 0, fresh = 0, dropped = 0;
        for (int rep = -1; rep < repeats; rep++)
        {
            // Per part (and per node kind): summed wall and CPU ms of this repeat.
            var sums = new Dictionary<string, (double Wall, double Cpu)>();
            double lastWall = Now(), lastCpu = Cpu();
            // Charges the time since the previous mark to key.
            void Mark(string key)
            {
                double w = Now(), c = Cpu();
                var (sw, sc) = sums.GetValueOrDefault(key);
                sums[key] = (sw + w - lastWall, sc + c - lastCpu);
                lastWall = w;
                lastCpu = c;
                if (rep == 0 && !order.Contains(key))
                {
                    order.Add(key);
                }
            }
            int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
            var pause0 = GC.GetTotalPauseDuration();
            long alloc0 = GC.GetTotalAllocatedBytes(precise: false);
            long fresh0 = Tensors.TensorBuffers.FreshBytes, dropped0 = Tensors.TensorBuffers.DroppedBytes;
            double stepWall0 = lastWall, stepCpu0 = lastCpu;
            var scope = TensorScope.Enter();
            try
            {
                opt.ZeroGrad();
                Mark("zero grad");
                if (tuned is OnnxModule onnx)
                {
                    // A fused chain runs its convolution and its training tail.
                    onnx.NodeTimer = (op, where, _) => Mark("forward " + (where.Contains("(fused", StringComparison.Ordinal)
                        ? "Conv+" + where[(where.IndexOf("(fused with ", StringComparison.Ordinal) + 12)..].TrimEnd(')') : op));
                }
                Tensor features;
                try
                {
                    features = tuned.Forward(x);
                }
                finally
                {
                    if (tuned is OnnxModule timed)
                    {
                        timed.NodeTimer = null;
                    }
                }
                Mark("forward (rest)");
                var logits = head.Forward(Ops.Reshape(features, x.Dims[0], 512));
                var loss = Ops.CrossEntropy(logits, labels);
                Mark("head + loss");
                Tensor.BackwardProfiler = (name, _) =>
                {
                    Mark("backward " + name.TrimEnd("0123456789".ToCharArray()));
                };
                try
                {
                    loss.Backward();
                }
                finally
                {
                    Tensor.BackwardProfiler = null;
                }
                Mark("backward (outside nodes)");
                opt.Step();
                Mark("update");
            }
            finally
            {
                scope.Dispose();
            }
            Mark("scope dispose");
            if (rep < 0)
            {
                continue;
            }
            gen0 += GC.CollectionCount(0) - g0;
            gen1 += GC.CollectionCount(1) - g1;
            gen2 += GC.CollectionCount(2) - g2;
            pauseMs += (GC.GetTotalPauseDuration() - pause0).TotalMilliseconds;
            allocated += GC.GetTotalAllocatedBytes(precise: false) - alloc0;
            fresh += Tensors.TensorBuffers.FreshBytes - fresh0;
            dropped += Tensors.TensorBuffers.DroppedBytes - dropped0;
            steps.Add(lastWall - stepWall0);
            cpus.Add(lastCpu - stepCpu0);
            foreach (var (key, (w, c)) in sums)
            {
                wallBest[key] = Math.Min(wallBest.GetValueOrDefault(key, double.MaxValue), w);
                cpuBest[key] = Math.Min(cpuBest.GetValueOrDefault(key, double.MaxValue), c);
            }
        }
        Console.Error.WriteLine(FormattableString.Invariant($"fine-tune step, batch {x.Dims[0]}, {repeats} repeats: wall {steps.Min():F0} ms min, {Measure.Median(steps):F0} median; CPU {cpus.Min():F0} ms min, {Measure.Median(cpus):F0} median"));
        Console.Error.WriteLine(FormattableString.Invariant($"  per step: GC gen0/1/2 {(double)gen0 / repeats:F1}/{(double)gen1 / repeats:F1}/{(double)gen2 / repeats:F1}, GC pause {pauseMs / repeats:F1} ms, allocated {allocated / (double)repeats / (1 << 20):F1} MiB, of which pool misses {fresh / (double)repeats / (1 << 20):F1} MiB; turned away by the pool's cap {dropped / (double)repeats / (1 << 20):F1} MiB; pooled after the step {Tensors.TensorBuffers.PooledBytes / (double)(1 << 20):F0} MiB (gcServer {System.Runtime.GCSettings.IsServerGC})"));
        Console.Error.WriteLine(FormattableString.Invariant($"  parts, fastest repeat of each: wall ms (sum {wallBest.Values.Sum():F0}), CPU ms (sum {cpuBest.Values.Sum():F0})"));
        foreach (var key in order.OrderByDescending(k => cpuBest[k]))
        {
            Console.Error.WriteLine(FormattableString.Invariant($"    {key,-50} {wallBest[key],8:F1} {cpuBest[key],8:F1}"));
        }
    }

    // Per-node wall time of the batch forward (fused and unfused plans), summed by kind of node, fastest repeat.
    private static void Profile(OnnxModule module, Tensor x, int repeats)
    {
        foreach (bool fuse in new[] { true, false })
        {
            module.FuseInference = fuse;
            var best = new Dictionary<string, double>();
            var bestNodes = new List<(string, double)>();
            double bestTotal = double.MaxValue;
            for (int rep = 0; rep < repeats; rep++)
            {
                var sums = new Dictionary<string, double>();
                var nodes = new List<(string, double)>();
                module.NodeTimer = (op, where, s) =>
                {
                    string key = where.Contains("(fused", StringComparison.Ordinal) ? "Conv+" + where[(where.IndexOf("(fused with ", StringComparison.Ordinal) + 12)..].TrimEnd(')') : op;
                    sums[key] = sums.GetValueOrDefault(key) + s;
                    nodes.Add((where, s));
                };
                long t0 = Stopwatch.GetTimestamp();
                using (TensorScope.Enter())
                using (Tensor.NoGrad())
                {
                    _ = module.Forward(x);
                }
                double total = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                if (total < bestTotal)
                {
                    bestTotal = total;
                    best = sums;
                    bestNodes = nodes;
                }
            }
            module.NodeTimer = null;
            Console.Error.WriteLine(FormattableString.Invariant($"profile (fused {fuse}), batch {x.Dim(0)}: total {bestTotal * 1e3:F0} ms"));
            foreach (var (k, v) in best.OrderByDescending(kv => kv.Value))
            {
                Console.Error.WriteLine(FormattableString.Invariant($"  {k,-40} {v * 1e3,8:F1} ms"));
            }
            if (fuse)
            {
                foreach (var (where, v) in bestNodes)
                {
                    Console.Error.WriteLine(FormattableString.Invariant($"    {where,-70} {v * 1e3,8:F1} ms"));
                }
            }
        }
        module.FuseInference = true;
    }

    // DEEPMETRIC_R18_PROFILE=ours: our forward alone (no ONNX Runtime in the process, whose spinning threads count in
    // the process CPU time), batch 1 and 32 interleaved; fastest wall and process-CPU ms over the repeats.
    private static void OursOnly(OnnxModule module)
    {
        int repeats = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_REPEATS"), out int r) && r > 0 ? r : 5;
        var rng = new Prng(11);
        var inputs = new[] { Tensor.Rand(rng, [1, 3, Side, Side], -120f, 130f), Tensor.Rand(rng, [Batch, 3, Side, Side], -120f, 130f) };
        var wall = new double[2];
        var cpu = new double[2];
        Array.Fill(wall, double.MaxValue);
        Array.Fill(cpu, double.MaxValue);
        for (int rep = -1; rep < repeats; rep++)
        {
            for (int i = 0; i < 2; i++)
            {
                for (int k = 0; k < (i == 0 ? 5 : 1); k++)
                {
                    double c0 = Training.TrainStepProfile.ProcessCpuMs();
                    long t0 = Stopwatch.GetTimestamp();
                    using (TensorScope.Enter())
                    using (Tensor.NoGrad())
                    {
                        _ = module.Forward(inputs[i]);
                    }
                    if (rep >= 0)
                    {
                        wall[i] = Math.Min(wall[i], Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                        cpu[i] = Math.Min(cpu[i], Training.TrainStepProfile.ProcessCpuMs() - c0);
                    }
                }
            }
        }
        Console.Error.WriteLine(FormattableString.Invariant($"ours only: batch 1 {wall[0]:F1} ms wall, {cpu[0]:F1} ms CPU; batch {Batch} {wall[1]:F0} ms wall, {cpu[1]:F0} ms CPU (fastest of {repeats})"));
    }

    // DEEPMETRIC_R18_PROFILE=convs1: single convolutions (batch 1, or DEEPMETRIC_R18CONV_BATCH) of the shapes that dominate the batch-1 forward (no
    // gradient, both worker ranges), fastest of 20 (5 for larger batches), wall and process CPU ms; quicker than the whole model for A/B runs.
    private static void BatchOneConvs()
    {
        var rng = new Prng(3);
        int batch = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_R18CONV_BATCH"), out int nb) && nb > 0 ? nb : 1;
        int reps = batch == 1 ? 20 : 5;
        foreach (var (c, o, side, kk, stride, pad) in new[] { (512, 512, 7, 3, 1, 1), (256, 256, 14, 3, 1, 1), (128, 128, 28, 3, 1, 1), (64, 64, 56, 3, 1, 1), (256, 512, 14, 3, 2, 1), (128, 256, 28, 3, 2, 1), (3, 64, 224, 7, 2, 3) })
        {
            var x = Tensor.Rand(rng, [batch, c, side, side], -1f, 1f);
            var w = Tensor.Rand(rng, [o, c, kk, kk], -1f, 1f);
            double best = double.MaxValue, cpuBest = double.MaxValue;
            for (int rep = 0; rep < reps; rep++)
            {
                using var scope = TensorScope.Enter();
                using var ng = Tensor.NoGrad();
                double c0 = Training.TrainStepProfile.ProcessCpuMs();
                long t0 = Stopwatch.GetTimestamp();
                _ = Ops.Conv2dGeneral(x, w, null, (stride, stride), (pad, pad, pad, pad), (1, 1));
                best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                cpuBest = Math.Min(cpuBest, Training.TrainStepProfile.ProcessCpuMs() - c0);
            }
            Console.Error.WriteLine(FormattableString.Invariant($"conv {c}→{o} {kk}×{kk}/{stride} at {side}: {best:F2} ms, CPU {cpuBest:F2} ms"));
        }
    }

    internal static string? FindModel()
    {
        var env = Environment.GetEnvironmentVariable("DEEPMETRIC_RESNET18");
        if (!string.IsNullOrEmpty(env))
        {
            return File.Exists(env) ? env : null;
        }
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(root, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.24.0", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        return File.Exists(path) ? path : null;
    }
}
