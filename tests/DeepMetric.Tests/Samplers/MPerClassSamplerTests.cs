using DeepMetric.Samplers;

namespace DeepMetric.Tests.Samplers;

public sealed class MPerClassSamplerTests
{
    private static int[] Labels(int classes, int perClass)
    {
        var labels = new int[classes * perClass];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = (i * 7 % classes) + 10;   // interleaved, not 0-based
        }
        return labels;
    }

    [Fact]
    public void EveryBatchHasPClassesTimesM()
    {
        var labels = Labels(5, 40);
        var s = new MPerClassSampler(labels, m: 4, batchSize: 12, seed: 3);
        Assert.Equal(200 / 12, s.BatchesPerEpoch);
        for (int b = 0; b < 3 * s.BatchesPerEpoch; b++)
        {
            var batch = s.NextBatch();
            Assert.Equal(12, batch.Length);
            var counts = new Dictionary<int, int>();
            foreach (int i in batch)
            {
                counts[labels[i]] = counts.GetValueOrDefault(labels[i]) + 1;
            }
            Assert.Equal(3, counts.Count);
            Assert.All(counts.Values, c => Assert.Equal(4, c));
            Assert.Equal(batch.Length, batch.Distinct().Count());   // classes have ≥ m samples: no repeats
        }
    }

    [Fact]
    public void SamplesAreCoveredEvenlyOverAnEpoch()
    {
        var labels = Labels(4, 30);
        var s = new MPerClassSampler(labels, m: 5, batchSize: 20, seed: 1);
        var seen = new int[labels.Length];
        for (int b = 0; b < s.BatchesPerEpoch; b++)
        {
            foreach (int i in s.NextBatch())
            {
                seen[i]++;
            }
        }
        // 6 batches × 20 = 120 = dataset size; per-class queues make every item appear at most twice.
        Assert.Equal(120, seen.Sum());
        Assert.All(seen, c => Assert.InRange(c, 0, 2));
        Assert.True(seen.Count(c => c > 0) >= 90);
    }

    [Fact]
    public void SameSeedSameBatchesAndSeekResumes()
    {
        var labels = Labels(6, 20);
        var a = new MPerClassSampler(labels, 4, 16, seed: 42);
        var b = new MPerClassSampler(labels, 4, 16, seed: 42);
        var c = new MPerClassSampler(labels, 4, 16, seed: 43);
        var first = Enumerable.Range(0, 20).Select(_ => a.NextBatch()).ToArray();
        var second = Enumerable.Range(0, 20).Select(_ => b.NextBatch()).ToArray();
        var other = Enumerable.Range(0, 20).Select(_ => c.NextBatch()).ToArray();
        for (int i = 0; i < first.Length; i++)
        {
            Assert.Equal(first[i], second[i]);
        }
        Assert.False(first.Zip(other).All(p => p.First.SequenceEqual(p.Second)));

        // Resume in the middle of an epoch (position 11 with 7 batches per epoch = epoch 1, batch 4).
        var resumed = new MPerClassSampler(labels, 4, 16, seed: 42);
        resumed.Seek(11);
        Assert.Equal(1, resumed.Epoch);
        for (int i = 11; i < 20; i++)
        {
            Assert.Equal(first[i], resumed.NextBatch());
        }
        Assert.Equal(20, resumed.Position);
    }

    [Fact]
    public void SmallClassIsSampledWithRepetition()
    {
        int[] labels = [0, 0, 1, 1, 1, 1, 1, 1];
        var s = new MPerClassSampler(labels, m: 4, batchSize: 8, seed: 0);
        var batch = s.NextBatch();
        Assert.Equal(4, batch.Count(i => labels[i] == 0));
        Assert.Equal(4, batch.Count(i => labels[i] == 1));
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var labels = Labels(3, 10);
        Assert.Throws<ArgumentException>("batchSize", () => new MPerClassSampler(labels, 4, 10));
        Assert.Throws<ArgumentException>("batchSize", () => new MPerClassSampler(labels, 2, 8));   // needs 4 classes
        Assert.Throws<ArgumentException>("batchSize", () => new MPerClassSampler(labels, 31, 62));
        Assert.Throws<ArgumentOutOfRangeException>("m", () => new MPerClassSampler(labels, 0, 8));
        Assert.Throws<ArgumentException>("labels", () => new MPerClassSampler([], 2, 4));
        Assert.Throws<ArgumentOutOfRangeException>("position", () => new MPerClassSampler(labels, 2, 4).Seek(-1));
    }
}
