using DeepMetric.Distances;
using DeepMetric.Miners;
using DeepMetric.Tensors;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class UniformHistogramMinerTests
{
    private static int Bin(double v, double min, double max, int bins) =>
        max > min ? Math.Clamp((int)Math.Floor((v - min) / (max - min) * bins), 0, bins - 1) : 0;

    private static List<(int, int)> AllPairs(int[] l, bool positive) =>
        (from i in Enumerable.Range(0, l.Length)
         from j in Enumerable.Range(0, l.Length)
         where positive ? MinerCheck.IsPos(l, l, true, i, j) : MinerCheck.IsNeg(l, l, i, j)
         select (i, j)).Order().ToList();

    [Fact]
    public void LargeBins_KeepEveryPair()
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(61, l.Length, 3, false);
        var t = (PairTuples)new UniformHistogramMiner(numBins: 4, posPerBin: 1000, negPerBin: 1000).Mine(e, l);
        Assert.Equal(AllPairs(l, true), MinerCheck.PosSet(t));
        Assert.Equal(AllPairs(l, false), MinerCheck.NegSet(t));
    }

    [Theory]
    [InlineData(5, 2, 3)]
    [InlineData(10, 1, 1)]
    [InlineData(1, 4, 6)]
    public void PerBinCounts_MatchBruteForceHistogram(int bins, int perPos, int perNeg)
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(62, l.Length, 3, false);
        var d = MinerCheck.Euclid(e, e);
        var t = (PairTuples)new UniformHistogramMiner(bins, perPos, perNeg, seed: 9).Mine(e, l);
        Check(AllPairs(l, true), MinerCheck.PosSet(t), d, bins, perPos);
        Check(AllPairs(l, false), MinerCheck.NegSet(t), d, bins, perNeg);
    }

    private static void Check(List<(int, int)> all, List<(int, int)> got, double[,] d, int bins, int perBin)
    {
        Assert.Equal(got.Count, got.Distinct().Count());
        Assert.All(got, x => Assert.Contains(x, all));
        double min = all.Min(x => d[x.Item1, x.Item2]), max = all.Max(x => d[x.Item1, x.Item2]);
        for (int b = 0; b < bins; b++)
        {
            int available = all.Count(x => Bin(d[x.Item1, x.Item2], min, max, bins) == b);
            int taken = got.Count(x => Bin(d[x.Item1, x.Item2], min, max, bins) == b);
            Assert.Equal(Math.Min(available, perBin), taken);
        }
    }

    [Fact]
    public void HandWorked_OneDimension_AndSeeded()
    {
        // Unnormalised line points 0, 1, 2, 10 all in class 0: positive distances 1, 2, 1, 10, 9, 8 (each twice).
        var e = Tensor.FromArray([0f, 1f, 2f, 10f], 4, 1);
        var dist = new LpDistance(normalizeEmbeddings: false);
        var t = (PairTuples)new UniformHistogramMiner(numBins: 2, posPerBin: 1, negPerBin: 1, distance: dist, seed: 4).Mine(e, [0, 0, 0, 0]);
        // Range [1, 10] in two bins split at 5.5: one pair drawn from {1, 2, 1} pairs and one from {10, 9, 8} pairs.
        Assert.Equal(2, t.PositiveCount);
        var values = MinerCheck.PosSet(t).Select(x => Math.Abs(x.Item1 - x.Item2) == 0 ? 0 : Math.Abs(new[] { 0, 1, 2, 10 }[x.Item1] - new[] { 0, 1, 2, 10 }[x.Item2])).Order().ToArray();
        Assert.True(values[0] <= 2 && values[1] >= 8);
        var again = (PairTuples)new UniformHistogramMiner(numBins: 2, posPerBin: 1, negPerBin: 1, distance: dist, seed: 4).Mine(e, [0, 0, 0, 0]);
        Assert.Equal(MinerCheck.PosSet(t), MinerCheck.PosSet(again));
    }

    [Fact]
    public void EdgeCases()
    {
        Assert.Equal(0, new UniformHistogramMiner().Mine(Fixtures.RandomEmbeddings(1, 1, 2, false), [0]).Count);
        // All values equal (duplicates): a single bin.
        var dup = Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 0f], 3, 2);
        var t = (PairTuples)new UniformHistogramMiner(posPerBin: 1, negPerBin: 3).Mine(dup, [0, 0, 1]);
        Assert.Equal(1, t.PositiveCount);
        Assert.Equal(3, t.NegativeCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new UniformHistogramMiner(numBins: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UniformHistogramMiner(posPerBin: -1));
    }
}
