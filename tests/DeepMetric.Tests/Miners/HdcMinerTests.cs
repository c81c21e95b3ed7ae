using DeepMetric.Distances;
using DeepMetric.Miners;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class HdcMinerTests
{
    [Theory]
    [InlineData(0.5f, false)]
    [InlineData(0.3f, false)]
    [InlineData(1f, false)]
    [InlineData(0.5f, true)]
    public void MatchesBruteForce(float f, bool cosine)
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(21, l.Length, 4, false);
        Distance dist = cosine ? new CosineSimilarity() : new LpDistance();
        var t = (PairTuples)new HdcMiner(f, dist).Mine(e, l);
        var m = cosine ? MinerCheck.Cosine(e, e) : MinerCheck.Euclid(e, e);
        // Hardness as a distance: larger = farther.
        double D(int i, int j) => cosine ? -m[i, j] : m[i, j];
        var all = from i in Enumerable.Range(0, l.Length) from j in Enumerable.Range(0, l.Length) select (i, j);
        var pos = all.Where(x => MinerCheck.IsPos(l, l, true, x.i, x.j)).ToList();
        var neg = all.Where(x => MinerCheck.IsNeg(l, l, x.i, x.j)).ToList();
        var hardPos = pos.OrderByDescending(x => D(x.i, x.j)).Take((int)Math.Ceiling(Math.Round(f, 6) * pos.Count)).Order().ToList();
        var hardNeg = neg.OrderBy(x => D(x.i, x.j)).Take((int)Math.Ceiling(Math.Round(f, 6) * neg.Count)).Order().ToList();
        // (i, j) and (j, i) tie exactly in value; which of the two the cut keeps depends on rounding, so compare them unordered.
        static List<(int, int)> Unordered(IEnumerable<(int, int)> pairs) => [.. pairs.Select(p => p.Item1 < p.Item2 ? p : (p.Item2, p.Item1)).Order()];
        Assert.Equal(Unordered(hardPos), Unordered(MinerCheck.PosSet(t)));
        Assert.Equal(Unordered(hardNeg), Unordered(MinerCheck.NegSet(t)));
    }

    [Fact]
    public void EdgeCases()
    {
        Assert.Equal(0, new HdcMiner().Mine(Fixtures.RandomEmbeddings(1, 1, 2, false), [0]).Count);
        // Labels [0, 0, 1]: 2 ordered positive pairs → ⌈0.5·2⌉ = 1; 4 negative pairs → 2.
        var t = (PairTuples)new HdcMiner().Mine(Fixtures.RandomEmbeddings(2, 3, 2, false), [0, 0, 1]);
        Assert.Equal(1, t.PositiveCount);
        Assert.Equal(2, t.NegativeCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HdcMiner(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HdcMiner(1.5f));
    }
}
