using DeepMetric.Samplers;

namespace DeepMetric.Tests.Samplers;

public sealed class PkSamplerTests
{
    private static int[] Labels(params int[] sizes)
    {
        var labels = new List<int>();
        for (int c = 0; c < sizes.Length; c++)
        {
            for (int i = 0; i < sizes[c]; i++)
            {
                labels.Add((c * 3) + 5);   // labels 5, 8, 11, …
            }
        }
        // Interleave so class members are not contiguous.
        var arr = labels.ToArray();
        var rng = new DeepMetric.Tensors.Random.Prng(99);
        rng.Shuffle(arr.AsSpan());
        return arr;
    }

    [Fact]
    public void EveryBatchHasExactlyPClassesOfExactlyKDistinctSamples()
    {
        var labels = Labels(7, 9, 4, 12, 6);
        var s = new PkSampler(labels, p: 3, k: 4, seed: 1);
        Assert.Equal(12, s.BatchSize);
        Assert.Equal(labels.Length / 12, s.BatchesPerEpoch);
        for (int b = 0; b < 20; b++)
        {
            var batch = s.NextBatch();
            Assert.Equal(12, batch.Length);
            Assert.Equal(12, batch.Distinct().Count());
            for (int g = 0; g < 3; g++)
            {
                var group = batch.AsSpan(g * 4, 4).ToArray();
                Assert.Single(group.Select(i => labels[i]).Distinct());
            }
            Assert.Equal(3, batch.Select(i => labels[i]).Distinct().Count());
        }
    }

    [Fact]
    public void SmallClassIsAnErrorUnlessRepeatsAllowed()
    {
        var labels = Labels(5, 2, 5);
        var ex = Assert.Throws<ArgumentException>(() => new PkSampler(labels, 2, 3));
        Assert.Contains("Class 8 has 2 samples", ex.Message, StringComparison.Ordinal);
        var s = new PkSampler(labels, 3, 3, seed: 2, allowRepeats: true);
        var batch = s.NextBatch();
        var small = batch.Where(i => labels[i] == 8).ToArray();
        Assert.Equal(3, small.Length);
        Assert.Equal(2, small.Distinct().Count());
    }

    [Fact]
    public void DeterministicAndResumable()
    {
        var labels = Labels(10, 10, 10, 10);
        SamplerAssert.ResumeMatches(() => new PkSampler(labels, 2, 5, seed: 7), 3);
        Assert.NotEqual(new PkSampler(labels, 2, 5, seed: 7).NextBatch(), new PkSampler(labels, 2, 5, seed: 8).NextBatch());
    }

    [Fact]
    public void BadArguments()
    {
        int[] labels = [0, 0, 1, 1];
        Assert.Throws<ArgumentException>(() => new PkSampler([], 1, 1));
        Assert.Throws<ArgumentException>(() => new PkSampler(labels, 3, 1));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new PkSampler(labels, 0, 1));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new PkSampler(labels, 1, 0));
    }

    [Fact]
    public void SizeOneClassesWithKOne()
    {
        int[] labels = [4, 2, 9];
        var s = new PkSampler(labels, 3, 1, seed: 3);
        Assert.Equal(1, s.BatchesPerEpoch);
        var batch = s.NextBatch();
        Assert.Equal([0, 1, 2], batch.Order().ToArray());
    }
}
