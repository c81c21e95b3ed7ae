using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Reducers;
using DeepMetric.Samplers;
using DeepMetric.Tensors.IO;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Optim.Schedulers;
using DeepMetric.Tensors.Random;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Training;
using DeepMetric.Wrappers;

namespace DeepMetric.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dm-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    // Everything random and stateful at once: dropout, a loss with parameters (proxies), a loss with a miner of its own,
    // a randomised miner, a user generator, per-iteration cosine schedule, gradient clipping, per-part learning rates.
    private static Trainer Build(IDataset data, string? runDir, int hidden = 32, ITrainerCallbacks? callbacks = null, Prng? userRng = null)
    {
        var init = new Prng(1);
        var trunk = new Sequential(new Flatten(), new Linear(16, hidden, rng: init), new ReLU(), new Dropout(0.2f, new Prng(7)), new Linear(hidden, hidden, rng: init), new ReLU());
        var model = new EmbeddingModel(trunk, new Sequential(new Linear(hidden, 8, rng: init), new L2Normalize()));
        var loss = new MultipleLosses(
            [new ProxyAnchorLoss(numClasses: 4, embeddingSize: 8, seed: 3), new TripletMarginLoss(margin: 0.2f, reducer: new MeanReducer())],
            [1f, 0.5f],
            [null, new DistanceWeightedMiner(seed: 11)]);
        return new Trainer(model, loss, new DistanceWeightedMiner(seed: 5),
            _ => new Adam(Trainer.ParameterGroups(model, loss, trunkLr: 5e-3f, embedderLr: 1e-2f, lossLr: 2e-2f)),
            new MPerClassSampler(data.Labels, m: 8, batchSize: 32, seed: 2))
        {
            SchedulerFactory = o => new LinearWarmupCosine(o, warmupSteps: 2, totalSteps: 12),
            SchedulerInterval = SchedulerInterval.Iteration,
            ClipGradNorm = 0.5f,
            RunDirectory = runDir,
            Callbacks = callbacks,
            RandomSources = userRng is null ? null : new Dictionary<string, Prng> { ["augment"] = userRng },
        };
    }

    private static Dictionary<string, float[]> AllState(Trainer t)
    {
        var d = new Dictionary<string, float[]>();
        foreach (var (k, v) in t.Model.StateDict())
        {
            d["model." + k] = v.ToArray();
        }
        foreach (var (k, v) in t.Loss.StateDict())
        {
            d["loss." + k] = v.ToArray();
        }
        foreach (var (k, v) in t.Optimizer.StateDict().Tensors)
        {
            d["opt." + k] = v.ToArray();
        }
        return d;
    }

    private static void AssertBitIdentical(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (k, v) in a)
        {
            var w = b[k];
            Assert.Equal(v.Length, w.Length);
            for (int i = 0; i < v.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(v[i]) == BitConverter.SingleToInt32Bits(w[i]), $"{k}[{i}]: {v[i]:R} vs {w[i]:R}");
            }
        }
    }

    [Fact]
    public void ResumeIsBitIdenticalToAnUninterruptedRun()
    {
        var train = Fixtures.ClusteredImages(32, 3);
        var validation = Fixtures.ClusteredImages(8, 4);
        var straightRng = new Prng(99);
        var straight = Build(train, null, userRng: straightRng);
        straight.Fit(train, 2, validation);
        straightRng.NextUInt64();   // stands in for augmentation draws: advanced by the user, captured by the checkpoint

        var firstRng = new Prng(99);
        var first = Build(train, _dir, userRng: firstRng);
        first.Fit(train, 1, validation);
        var resumedRng = new Prng(12345);   // different on purpose: Resume must restore it
        var resumed = Build(train, null, userRng: resumedRng);
        resumed.Resume(_dir);
        Assert.Equal(1, resumed.Epoch);
        Assert.Equal(first.Iteration, resumed.Iteration);
        Assert.Equal(firstRng.GetState(), resumedRng.GetState());
        Assert.Single(resumed.History);
        resumed.Fit(train, 2, validation);
        resumedRng.NextUInt64();

        AssertBitIdentical(AllState(straight), AllState(resumed));
        Assert.Equal(straight.History.Select(h => h.MeanLoss), resumed.History.Select(h => h.MeanLoss));
        Assert.Equal(straight.History[1].Validation!.MapAtR, resumed.History[1].Validation!.MapAtR);
        Assert.Equal(straight.Optimizer.LearningRate, resumed.Optimizer.LearningRate);
        Assert.Equal(straight.Sampler.Position, resumed.Sampler.Position);
        Assert.Equal(straight.BestEpoch, resumed.BestEpoch);
        Assert.Equal(straightRng.GetState(), resumedRng.GetState());
        Assert.Equal(straight.Schedulers[0].LastEpoch, resumed.Schedulers[0].LastEpoch);
    }

    [Fact]
    public void ResumeWithAugmentationIsBitIdenticalToAnUninterruptedRun()
    {
        var train = Fixtures.ClusteredImages(32, 3);
        var straight = Build(train, null);
        straight.Fit(train.WithAugmenter(Augmenter.CropAndFlip(padding: 1, seed: 21)), 2);

        var first = Build(train, _dir);
        first.Fit(train.WithAugmenter(Augmenter.CropAndFlip(padding: 1, seed: 21)), 1);
        // A fresh augmenter: its randomness depends only on its seed and the sampler position, so nothing needs restoring.
        var resumed = Build(train, null);
        resumed.Resume(_dir);
        resumed.Fit(train.WithAugmenter(Augmenter.CropAndFlip(padding: 1, seed: 21)), 2);
        AssertBitIdentical(AllState(straight), AllState(resumed));
        Assert.Equal(straight.History.Select(h => h.MeanLoss), resumed.History.Select(h => h.MeanLoss));

        var plain = Build(train, null);
        plain.Fit(train, 2);
        Assert.NotEqual(plain.History[0].MeanLoss, straight.History[0].MeanLoss);
        var disabled = Build(train, null);
        disabled.Fit(train.WithAugmenter(new Augmenter([new RandomCropAugmentation(1)], seed: 21) { Enabled = false }), 2);
        AssertBitIdentical(AllState(plain), AllState(disabled));
    }

    [Fact]
    public void RunDirectoryHoldsCheckpointsMetricsAndWeights()
    {
        var train = Fixtures.ClusteredImages(16, 3);
        var trainer = Build(train, _dir);
        trainer.Fit(train, 2, Fixtures.ClusteredImages(8, 4));
        foreach (var f in new[] { RunDirectory.LastCheckpointFile, RunDirectory.BestCheckpointFile, RunDirectory.MetricsFile, RunDirectory.FinalWeightsFile, RunDirectory.BestWeightsFile })
        {
            Assert.True(File.Exists(Path.Combine(_dir, f)), f);
        }
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        var lines = File.ReadAllLines(Path.Combine(_dir, RunDirectory.MetricsFile));
        Assert.Equal(2, lines.Length);
        using (var doc = System.Text.Json.JsonDocument.Parse(lines[1]))
        {
            var root = doc.RootElement;
            Assert.Equal(2, root.GetProperty("epoch").GetInt32());
            Assert.Equal(trainer.Iteration, root.GetProperty("iteration").GetInt64());
            Assert.True(root.GetProperty("loss").GetDouble() > 0);
            Assert.True(root.GetProperty("lr").GetDouble() > 0);
            Assert.True(root.GetProperty("mined_tuples").GetDouble() > 0);
            Assert.InRange(root.GetProperty("metrics").GetProperty("map_at_r").GetDouble(), 0, 1);
        }
        var final = Safetensors.Load(Path.Combine(_dir, RunDirectory.FinalWeightsFile)).Tensors;
        Assert.Equal(trainer.Model.StateDict()["trunk.1.weight"].ToArray(), final["trunk.1.weight"].ToArray());
        var best = Checkpoint.Load(Path.Combine(_dir, RunDirectory.BestCheckpointFile));
        Assert.Equal(trainer.BestEpoch, best.Epoch);
        Assert.Equal(2, Checkpoint.Load(Path.Combine(_dir, RunDirectory.LastCheckpointFile)).Epoch);
    }

    [Fact]
    public void CorruptOrMismatchedCheckpointsGiveClearErrors()
    {
        var train = Fixtures.ClusteredImages(16, 3);
        Build(train, _dir).Fit(train, 1);
        string path = Path.Combine(_dir, RunDirectory.LastCheckpointFile);

        // Another architecture.
        var other = Build(train, null, hidden: 24);
        var e = Assert.Throws<InvalidDataException>(() => other.Resume(path));
        Assert.Contains("trunk.1.weight", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, other.Epoch);

        // Another sampler seed.
        var model = Build(train, null);
        var wrongSampler = new Trainer(model.Model, model.Loss, model.Miner, _ => model.Optimizer, new MPerClassSampler(train.Labels, 8, 32, seed: 9))
        {
            SchedulerFactory = o => new LinearWarmupCosine(o, warmupSteps: 2, totalSteps: 12),
        };
        Assert.Contains("sampler seed", Assert.Throws<InvalidDataException>(() => wrongSampler.Resume(path)).Message, StringComparison.Ordinal);

        // No scheduler where the checkpoint has one.
        var noScheduler = new Trainer(model.Model, model.Loss, model.Miner, _ => model.Optimizer, new MPerClassSampler(train.Labels, 8, 32, seed: 2));
        Assert.Contains("schedulers", Assert.Throws<InvalidDataException>(() => noScheduler.Resume(path)).Message, StringComparison.Ordinal);

        // Plain weights are not a checkpoint.
        string weights = Path.Combine(_dir, RunDirectory.FinalWeightsFile);
        Assert.Contains("not a DeepMetric checkpoint", Assert.Throws<InvalidDataException>(() => Build(train, null).Resume(weights)).Message, StringComparison.Ordinal);

        // Truncated file.
        var bytes = File.ReadAllBytes(path);
        string truncated = Path.Combine(_dir, "truncated.safetensors");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.Throws<SafetensorsFormatException>(() => Build(train, null).Resume(truncated));

        Assert.Throws<FileNotFoundException>(() => Build(train, null).Resume(Path.Combine(_dir, "missing.safetensors")));
    }

    [Fact]
    public void CheckpointWithOneFlippedByteIsRefusedNamingTheFile()
    {
        var train = Fixtures.ClusteredImages(16, 3);
        Build(train, _dir).Fit(train, 1);
        string path = Path.Combine(_dir, RunDirectory.LastCheckpointFile);
        var bytes = File.ReadAllBytes(path);
        // Safetensors layout: 8-byte header length, JSON header, then the tensor data; flip one bit of a data byte in
        // the middle of the data (a float of some tensor changes a little; the file still parses).
        long headerLength = BitConverter.ToInt64(bytes, 0);
        long dataStart = 8 + headerLength;
        int target = (int)(dataStart + ((bytes.Length - dataStart) / 2));
        bytes[target] ^= 0x01;
        string flipped = Path.Combine(_dir, "flipped.safetensors");
        File.WriteAllBytes(flipped, bytes);

        var trainer = Build(train, null);
        var e = Assert.Throws<InvalidDataException>(() => trainer.Resume(flipped));
        Assert.Contains(flipped, e.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, trainer.Epoch);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(flipped));

        // A flipped bit in the header's metadata (a digit of the iteration count) is refused too.
        bytes = File.ReadAllBytes(path);
        string header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        int at = header.IndexOf("\"iteration\":\"", StringComparison.Ordinal) + "\"iteration\":\"".Length;
        Assert.InRange(header[at], '0', '9');
        bytes[8 + System.Text.Encoding.UTF8.GetByteCount(header[..at])] ^= 0x01;   // '2' <-> '3', '4' <-> '5', …
        File.WriteAllBytes(flipped, bytes);
        Assert.Contains(flipped, Assert.Throws<InvalidDataException>(() => Build(train, null).Resume(flipped)).Message, StringComparison.Ordinal);

        // The untouched file still resumes.
        Build(train, null).Resume(path);
    }

    [Fact]
    public void GeneratorsOfContainedComponentsAreFoundThroughTheirContainer()
    {
        var train = Fixtures.ClusteredImages(16, 3);
        var trainer = Build(train, null);
        var meta = trainer.CreateCheckpoint().Metadata;
        // MultipleLosses names its miners; the trainer's own miner, dropout and the triplet loss are found directly.
        var rngKeys = meta.Keys.Where(k => k.StartsWith("rng.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["rng.loss.loss1", "rng.loss.miner1", "rng.miner", "rng.model.trunk.3"], rngKeys);
    }

    [Fact]
    public void EarlyStoppingKeepsTheBestModelAndCallsHooks()
    {
        var train = Fixtures.ClusteredImages(16, 3);
        var validation = Fixtures.ClusteredImages(8, 4);
        var hooks = new CountingHooks();
        var model = Build(train, null);
        var trainer = new Trainer(model.Model, model.Loss, null, p => new Sgd(p, lr: 0f), new MPerClassSampler(train.Labels, 8, 32, seed: 2))
        {
            Patience = 2,
            EvaluateEvery = 2,
            Callbacks = hooks,
        };
        var history = trainer.Fit(train, 20, validation);
        // lr 0: the metric never improves after the first evaluation (epoch 2), so evaluations at 4 and 6 exhaust patience 2.
        Assert.True(trainer.StoppedEarly);
        Assert.Equal(6, history.Count);
        Assert.Equal(2, trainer.BestEpoch);
        Assert.Null(history[0].Validation);
        Assert.True(history[1].IsBest);
        Assert.Equal(3, hooks.Evaluations);
        Assert.Equal(6, hooks.Epochs);
        Assert.Equal(6 * trainer.Sampler.BatchesPerEpoch, hooks.Iterations);
        Assert.True(trainer.RestoreBestModel());
        Assert.Same(history, trainer.Fit(train, 30, validation));   // stopped: nothing more
        Assert.Equal(6, history.Count);
    }

    [Fact]
    public void ParameterGroupsSeparateTrunkEmbedderAndLoss()
    {
        var train = Fixtures.ClusteredImages(16, 3);
        var t = Build(train, null);
        var groups = t.Optimizer.ParamGroups;
        Assert.Equal(3, groups.Count);
        Assert.Equal(t.Model.Trunk.Parameters().Count(), groups[0].Parameters.Count);
        Assert.Equal(t.Model.Embedder.Parameters().Count(), groups[1].Parameters.Count);
        Assert.Equal(t.Loss.Parameters().Count(), groups[2].Parameters.Count);
        // Base learning rates survive the schedule: the warm-up starts at 0 for every group.
        Assert.Equal([5e-3f, 1e-2f, 2e-2f], t.Schedulers[0].BaseLearningRates);
    }

    private sealed class CountingHooks : ITrainerCallbacks
    {
        public int Iterations { get; private set; }
        public int Epochs { get; private set; }
        public int Evaluations { get; private set; }
        public void OnIterationEnd(Trainer trainer, TrainingProgress progress) => Iterations++;
        public void OnEpochEnd(Trainer trainer, EpochResult result) => Epochs++;
        public void OnEvaluation(Trainer trainer, int epoch, Metrics metrics, bool improved) => Evaluations++;
    }
}
