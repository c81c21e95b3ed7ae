using DeepMetric.Samplers;

namespace DeepMetric.Tests.Samplers;

public sealed class ShuffledBatchSamplerTests
{
    [Fact]
    public void AnEpochIsAPermutationCutIntoWholeBatches()
    {
        var s = new ShuffledBatchSampler(count: 10, batchSize: 3, seed: 5);
        Assert.Equal(3, s.BatchesPerEpoch);
        var seen = new List<int>();
        for (int b = 0; b < 3; b++)
        {
            seen.AddRange(s.NextBatch());
        }
        Assert.Equal(9, seen.Distinct().Count());
        Assert.All(seen, i => Assert.InRange(i, 0, 9));
        Assert.Equal(1, s.Epoch);
    }

    [Fact]
    public void EpochsDifferAndSeedsReproduce()
    {
        var a = new ShuffledBatchSampler(100, 100, seed: 9);
        var b = new ShuffledBatchSampler(100, 100, seed: 9);
        var e0 = a.NextBatch();
        var e1 = a.NextBatch();
        Assert.NotEqual(e0, e1);
        Assert.Equal(e0, b.NextBatch());
        b.Seek(1);
        Assert.Equal(e1, b.NextBatch());
    }

    [Fact]
    public void SizeOneAndSkip()
    {
        var s = new ShuffledBatchSampler(1, 1);
        Assert.Equal([0], s.NextBatch());
        var t = new ShuffledBatchSampler(10, 2);
        t.NextBatch();
        t.SkipToEpochEnd();
        Assert.Equal(5, t.Position);
        t.SkipToEpochEnd();
        Assert.Equal(5, t.Position);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>("count", () => new ShuffledBatchSampler(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>("batchSize", () => new ShuffledBatchSampler(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>("batchSize", () => new ShuffledBatchSampler(3, 4));
    }
}
