using DeepMetric.Data;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Reducers;
using DeepMetric.Samplers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Training;

namespace DeepMetric.Tests.Training;

public sealed class PrefetchTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "deepmetric-prefetch-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    // Dropout and a randomised miner: every generator of the step advances, so any change in batch order shows.
    private static Trainer Build(IDataset data, int prefetch, string? runDir = null, ITrainerCallbacks? callbacks = null)
    {
        var init = new Prng(1);
        var trunk = new Sequential(new Flatten(), new Linear(16, 24, rng: init), new ReLU(), new Dropout(0.2f, new Prng(7)));
        var model = new EmbeddingModel(trunk, new Sequential(new Linear(24, 8, rng: init), new L2Normalize()));
        return new Trainer(model, new TripletMarginLoss(margin: 0.2f, reducer: new MeanReducer()), new DistanceWeightedMiner(seed: 5),
            p => new Adam(p, lr: 1e-2f), new MPerClassSampler(data.Labels, m: 8, batchSize: 16, seed: 2))
        {
            PrefetchDepth = prefetch,
            RunDirectory = runDir,
            Callbacks = callbacks,
        };
    }

    private static float[] Weights(Trainer t) => [.. t.Model.StateDict().Values.SelectMany(v => v.ToArray())];

    [Fact]
    public void PrefetchDepthChangesNoWeight()
    {
        var train = Fixtures.ClusteredImages(24, 3).WithAugmenter(Augmenter.CropAndFlip(padding: 1, seed: 21));
        var plain = Build(train, prefetch: 0);
        plain.Fit(train, 2);
        foreach (int depth in new[] { 1, 2, 5 })
        {
            var prefetched = Build(train, depth);
            prefetched.Fit(train, 2);
            Assert.Equal(Weights(plain), Weights(prefetched));
            Assert.Equal(plain.Sampler.Position, prefetched.Sampler.Position);
            Assert.All(prefetched.History, r => Assert.True(r.DataWaitSeconds >= 0 && r.DataWaitSeconds <= r.TrainSeconds));
        }
    }

    [Fact]
    public void ResumeWithPrefetchIsBitIdenticalToAnUninterruptedRunWithout()
    {
        var train = Fixtures.ClusteredImages(24, 3).WithAugmenter(Augmenter.CropAndFlip(padding: 1, seed: 21));
        var straight = Build(train, prefetch: 0);
        straight.Fit(train, 3);

        Build(train, prefetch: 2, runDir: _dir).Fit(train, 1);
        var resumed = Build(train, prefetch: 3);
        resumed.Resume(_dir);
        resumed.Fit(train, 3);
        Assert.Equal(Weights(straight), Weights(resumed));
        Assert.Equal(straight.History.Select(h => h.MeanLoss), resumed.History.Select(h => h.MeanLoss));
    }

    [Fact]
    public void CancellingMidEpochLeavesTheSamplerAfterTheLastBatchTrained()
    {
        var train = Fixtures.ClusteredImages(24, 3);
        using var cts = new CancellationTokenSource();
        var stop = new CancelAfter(3, cts);
        var trainer = Build(train, prefetch: 4, callbacks: stop);
        Assert.True(trainer.Sampler.BatchesPerEpoch > 5);
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(train, 1, cancellationToken: cts.Token));
        // Three steps ran; the four batches read ahead are given back to the sampler.
        Assert.Equal(3, trainer.Iteration);
        Assert.Equal(3, trainer.Sampler.Position);
    }

    [Fact]
    public void AReadErrorReachesTheCallerAsThrown()
    {
        var inner = Fixtures.ClusteredImages(24, 3);
        var broken = new FailingDataset(inner, failOnRead: 3);
        var trainer = Build(broken, prefetch: 2);
        var e = Assert.Throws<InvalidDataException>(() => trainer.Fit(broken, 1));
        Assert.Contains("item.jpg", e.Message, StringComparison.Ordinal);
        // The two batches before it trained; the sampler stands after them.
        Assert.Equal(2, trainer.Iteration);
        Assert.Equal(2, trainer.Sampler.Position);
    }

    [Fact]
    public void WaitingForDataIsMeasured()
    {
        // Every read sleeps 30 ms; without prefetching the loop waits for all of them.
        var inner = Fixtures.ClusteredImages(24, 3);
        var slow = new FailingDataset(inner, failOnRead: 0, delay: TimeSpan.FromMilliseconds(30));
        var trainer = Build(slow, prefetch: 0);
        var result = trainer.Fit(slow, 1)[0];
        Assert.InRange(result.DataWaitSeconds, result.Iterations * 0.029, result.TrainSeconds);
    }

    private sealed class CancelAfter(int steps, CancellationTokenSource cts) : ITrainerCallbacks
    {
        public void OnIterationEnd(Trainer trainer, TrainingProgress progress)
        {
            if (progress.Iteration == steps)
            {
                cts.Cancel();
            }
        }
    }

    // Wraps a dataset: read number failOnRead (1-based; 0 never) fails like a corrupt file would; every read can be slowed down.
    private sealed class FailingDataset(ImageDataset inner, int failOnRead, TimeSpan delay = default) : IDataset
    {
        private int _reads;

        public int Count => inner.Count;
        public ReadOnlySpan<int> Labels => inner.Labels;
        public IReadOnlyList<string> ClassNames => inner.ClassNames;
        public ReadOnlySpan<int> ItemShape => inner.ItemShape;

        public Tensor Batch(ReadOnlySpan<int> indices, BatchRequest request = default)
        {
            if (Interlocked.Increment(ref _reads) == failOnRead)
            {
                throw new InvalidDataException("'item.jpg': the JPEG data ends early.");
            }
            if (delay > TimeSpan.Zero)
            {
                Thread.Sleep(delay);
            }
            return inner.Batch(indices, request);
        }

        public IDataset Subset(ReadOnlySpan<int> indices) => throw new NotSupportedException();
    }
}
