using DeepMetric.Miners;
using DeepMetric.Tensors;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class DistanceWeightedMinerTests
{
    /// <summary>A unit vector in 4-D at Euclidean distance <paramref name="d"/> from (1, 0, 0, 0).</summary>
    private static float[] AtDistance(double d)
    {
        double theta = 2 * Math.Asin(d / 2);
        return [(float)Math.Cos(theta), (float)Math.Sin(theta), 0f, 0f];
    }

    private static Tensor Points(params double[] distances) =>
        Tensor.FromArray(distances.SelectMany(AtDistance).ToArray(), distances.Length, 4);

    private static double[] Frequencies(DistanceWeightedMiner miner, Tensor e, int[] labels, int rounds)
    {
        var counts = new double[labels.Length];
        for (int r = 0; r < rounds; r++)
        {
            var t = (TripletTuples)miner.Mine(e, labels);
            for (int k = 0; k < t.Count; k++)
            {
                if (t.Anchors[k] == 0)
                {
                    counts[t.Negatives[k]]++;
                }
            }
        }
        return counts.Select(c => c / rounds).ToArray();
    }

    [Fact]
    public void SamplesWithInverseSphereDensity()
    {
        // Anchor at distance 0, its positive at 0.2; negatives at 0.3 (clipped to 0.5), 0.9, 1.25 and 1.8 (beyond 1.4).
        var e = Points(0, 0.2, 0.3, 0.9, 1.25, 1.8);
        int[] labels = [0, 0, 1, 2, 3, 4];
        // n = 4: q(d)⁻¹ = d⁻² (1 − d²/4)^(−1/2).
        static double W(double d) => Math.Pow(Math.Max(d, 0.5), -2) * Math.Pow(1 - (Math.Max(d, 0.5) * Math.Max(d, 0.5) / 4), -0.5);
        double[] w = [0, 0, W(0.3), W(0.9), W(1.25), 0];
        double total = w.Sum();
        const int Rounds = 4000;
        var f = Frequencies(new DistanceWeightedMiner(seed: 7), e, labels, Rounds);
        for (int j = 2; j < 6; j++)
        {
            double p = w[j] / total;
            double tol = (4 * Math.Sqrt(p * (1 - p) / Rounds)) + 1e-9;
            Assert.InRange(f[j], p - tol, p + tol);
        }
        Assert.Equal(0, f[5]);
    }

    [Fact]
    public void AllNegativesBeyondCutoff_SamplesUniformly()
    {
        var e = Points(0, 0.1, 1.6, 1.9);
        const int Rounds = 2000;
        var f = Frequencies(new DistanceWeightedMiner(seed: 3), e, [0, 0, 1, 2], Rounds);
        Assert.InRange(f[2], 0.43, 0.57);
        Assert.InRange(f[3], 0.43, 0.57);
    }

    [Fact]
    public void OneTripletPerPositivePair_ValidAndDeterministic()
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(41, l.Length, 8, false);
        var t1 = (TripletTuples)new DistanceWeightedMiner(seed: 5).Mine(e, l);
        var t2 = (TripletTuples)new DistanceWeightedMiner(seed: 5).Mine(e, l);
        Assert.Equal(MinerCheck.Set(t1), MinerCheck.Set(t2));
        var pairs = Enumerable.Range(0, t1.Count).Select(k => (t1.Anchors[k], t1.Positives[k])).Order().ToList();
        var expected = (from i in Enumerable.Range(0, l.Length)
                        from j in Enumerable.Range(0, l.Length)
                        where MinerCheck.IsPos(l, l, true, i, j)
                        select (i, j)).Order().ToList();
        Assert.Equal(expected, pairs);
        var d = MinerCheck.Euclid(e, e);
        bool[] anyNear = Enumerable.Range(0, l.Length).Select(i => Enumerable.Range(0, l.Length).Any(k => l[k] != l[i] && d[i, k] < 1.4)).ToArray();
        for (int k = 0; k < t1.Count; k++)
        {
            Assert.NotEqual(l[t1.Anchors[k]], l[t1.Negatives[k]]);
            if (anyNear[t1.Anchors[k]])
            {
                Assert.True(d[t1.Anchors[k], t1.Negatives[k]] < 1.4 + 1e-6);
            }
        }
    }

    [Fact]
    public void EdgeCases()
    {
        var e = Fixtures.RandomEmbeddings(1, 3, 4, false);
        Assert.Equal(0, new DistanceWeightedMiner().Mine(e, [0, 0, 0]).Count);
        Assert.Equal(0, new DistanceWeightedMiner().Mine(e, [0, 1, 2]).Count);
        Assert.Equal(0, new DistanceWeightedMiner().Mine(Fixtures.RandomEmbeddings(2, 1, 4, false), [0]).Count);
        // Duplicated embeddings: distance 0 is clipped, sampling stays finite.
        var dup = Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 0f], 3, 2);
        Assert.Equal(2, new DistanceWeightedMiner().Mine(dup, [0, 0, 1]).Count);
        // High dimension: log-space weights do not overflow.
        var big = Fixtures.RandomEmbeddings(3, 8, 512, false);
        Assert.True(new DistanceWeightedMiner().Mine(big, [0, 0, 1, 1, 2, 2, 3, 3]).Count == 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistanceWeightedMiner(cutoff: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistanceWeightedMiner(cutoff: 0.5f, nonzeroLossCutoff: 0.4f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistanceWeightedMiner(nonzeroLossCutoff: 2.5f));
    }
}
