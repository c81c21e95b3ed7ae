using DeepMetric.Distances;
using DeepMetric.Miners;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class MultiSimilarityMinerTests
{
    private static (List<(int, int)> Pos, List<(int, int)> Neg) BruteForce(double[,] s, int[] l, int[] rl, bool same, double eps, bool similarity)
    {
        List<(int, int)> pos = [], neg = [];
        for (int i = 0; i < l.Length; i++)
        {
            var ps = Enumerable.Range(0, rl.Length).Where(j => MinerCheck.IsPos(l, rl, same, i, j)).ToList();
            var ns = Enumerable.Range(0, rl.Length).Where(j => MinerCheck.IsNeg(l, rl, i, j)).ToList();
            if (ps.Count == 0 || ns.Count == 0)
            {
                continue;
            }
            if (similarity)
            {
                double minPos = ps.Min(j => s[i, j]), maxNeg = ns.Max(j => s[i, j]);
                neg.AddRange(ns.Where(j => s[i, j] + eps > minPos).Select(j => (i, j)));
                pos.AddRange(ps.Where(j => s[i, j] - eps < maxNeg).Select(j => (i, j)));
            }
            else
            {
                double maxPos = ps.Max(j => s[i, j]), minNeg = ns.Min(j => s[i, j]);
                neg.AddRange(ns.Where(j => s[i, j] - eps < maxPos).Select(j => (i, j)));
                pos.AddRange(ps.Where(j => s[i, j] + eps > minNeg).Select(j => (i, j)));
            }
        }
        return (pos.Order().ToList(), neg.Order().ToList());
    }

    [Theory]
    [InlineData(1UL, 0.1f)]
    [InlineData(2UL, 0.1f)]
    [InlineData(3UL, 0.3f)]
    [InlineData(4UL, 0f)]
    public void Cosine_MatchesBruteForce(ulong seed, float eps)
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(seed, l.Length, 4, false);
        var t = (PairTuples)new MultiSimilarityMiner(eps).Mine(e, l);
        var (pos, neg) = BruteForce(MinerCheck.Cosine(e, e), l, l, true, eps, similarity: true);
        Assert.Equal(pos, MinerCheck.PosSet(t));
        Assert.Equal(neg, MinerCheck.NegSet(t));
        Assert.NotEmpty(neg);
    }

    [Fact]
    public void Euclidean_MatchesBruteForce()
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(5, l.Length, 3, false);
        var t = (PairTuples)new MultiSimilarityMiner(0.1f, new LpDistance()).Mine(e, l);
        var (pos, neg) = BruteForce(MinerCheck.Euclid(e, e), l, l, true, 0.1, similarity: false);
        Assert.Equal(pos, MinerCheck.PosSet(t));
        Assert.Equal(neg, MinerCheck.NegSet(t));
    }

    [Fact]
    public void SeparateReference_MatchesBruteForce()
    {
        int[] l = [0, 1, 2, 0], rl = [0, 0, 1, 1, 2, 3, 3];
        var e = Fixtures.RandomEmbeddings(6, l.Length, 3, false);
        var r = Fixtures.RandomEmbeddings(7, rl.Length, 3, false);
        var t = (PairTuples)new MultiSimilarityMiner(0.2f).Mine(e, l, r, rl);
        var (pos, neg) = BruteForce(MinerCheck.Cosine(e, r), l, rl, false, 0.2, similarity: true);
        Assert.Equal(pos, MinerCheck.PosSet(t));
        Assert.Equal(neg, MinerCheck.NegSet(t));
    }

    [Fact]
    public void EdgeCases()
    {
        var e = Fixtures.RandomEmbeddings(8, 3, 2, false);
        Assert.Equal(0, new MultiSimilarityMiner().Mine(e, [0, 1, 2]).Count);
        Assert.Equal(0, new MultiSimilarityMiner().Mine(e, [1, 1, 1]).Count);
        Assert.Equal(0, new MultiSimilarityMiner().Mine(Fixtures.RandomEmbeddings(9, 1, 2, false), [0]).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiSimilarityMiner(-0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiSimilarityMiner(float.NaN));
    }
}
