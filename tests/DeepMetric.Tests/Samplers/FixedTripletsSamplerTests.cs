using DeepMetric.Samplers;

namespace DeepMetric.Tests.Samplers;

public sealed class FixedTripletsSamplerTests
{
    private static IndexTriplet[] Triplets(int n)
    {
        var t = new IndexTriplet[n];
        for (int i = 0; i < n; i++)
        {
            t[i] = new IndexTriplet(3 * i, (3 * i) + 1, (3 * i) + 2);
        }
        return t;
    }

    [Fact]
    public void InOrderBatchesOfWholeTriplets()
    {
        var s = new FixedTripletsSampler(Triplets(5), tripletsPerBatch: 2);
        Assert.Equal(6, s.BatchSize);
        Assert.Equal(2, s.BatchesPerEpoch);
        Assert.Equal([0, 1, 2, 3, 4, 5], s.NextBatch());
        Assert.Equal([6, 7, 8, 9, 10, 11], s.NextBatch());
        Assert.Equal([0, 1, 2, 3, 4, 5], s.NextBatch());   // next epoch, same order, triplet 4 dropped
    }

    [Fact]
    public void ShuffledKeepsTripletsWholeAndCoversAll()
    {
        var s = new FixedTripletsSampler(Triplets(6), 3, shuffle: true, seed: 5);
        var seen = new List<int>();
        for (int b = 0; b < 2; b++)
        {
            var batch = s.NextBatch();
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(0, batch[3 * j] % 3);
                Assert.Equal(batch[3 * j] + 1, batch[(3 * j) + 1]);
                Assert.Equal(batch[3 * j] + 2, batch[(3 * j) + 2]);
                seen.Add(batch[3 * j] / 3);
            }
        }
        Assert.Equal([0, 1, 2, 3, 4, 5], seen.Order().ToArray());
        SamplerAssert.ResumeMatches(() => new FixedTripletsSampler(Triplets(6), 2, shuffle: true, seed: 5), 3);
    }

    [Fact]
    public void WorksWithTripletsAlreadyPackagedMinerLayout()
    {
        // The miner reads rows 3k, 3k+1, 3k+2 as (a, p, n): the sampler's batch has exactly that layout.
        var triplets = new[] { new IndexTriplet(9, 4, 7), new IndexTriplet(1, 2, 0) };
        var batch = new FixedTripletsSampler(triplets, 2).NextBatch();
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(triplets[k], new IndexTriplet(batch[3 * k], batch[(3 * k) + 1], batch[(3 * k) + 2]));
        }
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Throws<ArgumentException>(() => new FixedTripletsSampler([], 1));
        Assert.Throws<ArgumentException>(() => new FixedTripletsSampler(Triplets(2), 3));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new FixedTripletsSampler(Triplets(2), 0));
        Assert.Throws<ArgumentException>(() => new FixedTripletsSampler(Triplets(2), 1, datasetCount: 5));
        Assert.Throws<ArgumentException>(() => new FixedTripletsSampler([new IndexTriplet(-1, 0, 1)], 1));
    }
}
