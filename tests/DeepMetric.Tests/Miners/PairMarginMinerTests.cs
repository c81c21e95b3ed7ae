using DeepMetric.Distances;
using DeepMetric.Miners;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class PairMarginMinerTests
{
    [Theory]
    [InlineData(1UL, 0.2f, 0.8f, false)]
    [InlineData(2UL, 0.5f, 1.2f, false)]
    [InlineData(3UL, 0.7f, 0.1f, true)]
    [InlineData(4UL, 0.9f, -0.2f, true)]
    public void MatchesBruteForce(ulong seed, float posMargin, float negMargin, bool cosine)
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(seed, l.Length, 3, false);
        Distance dist = cosine ? new CosineSimilarity() : new LpDistance();
        var t = (PairTuples)new PairMarginMiner(posMargin, negMargin, dist).Mine(e, l);
        var m = cosine ? MinerCheck.Cosine(e, e) : MinerCheck.Euclid(e, e);
        List<(int, int)> pos = [], neg = [];
        for (int i = 0; i < l.Length; i++)
        {
            for (int j = 0; j < l.Length; j++)
            {
                // Distances: positives with d > m⁺, negatives with d < m⁻; similarities reversed.
                if (MinerCheck.IsPos(l, l, true, i, j) && (cosine ? m[i, j] < posMargin : m[i, j] > posMargin))
                {
                    pos.Add((i, j));
                }
                if (MinerCheck.IsNeg(l, l, i, j) && (cosine ? m[i, j] > negMargin : m[i, j] < negMargin))
                {
                    neg.Add((i, j));
                }
            }
        }
        Assert.Equal(pos, MinerCheck.PosSet(t));
        Assert.Equal(neg, MinerCheck.NegSet(t));
        Assert.True(pos.Count + neg.Count > 0);
    }

    [Fact]
    public void EdgeCases()
    {
        Assert.Equal(0, new PairMarginMiner().Mine(Fixtures.RandomEmbeddings(1, 1, 2, false), [0]).Count);
        // Duplicated embeddings: positives at distance 0 are not farther than m⁺; negatives at 0 are kept.
        var dup = DeepMetric.Tensors.Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 0f], 3, 2);
        var t = (PairTuples)new PairMarginMiner().Mine(dup, [0, 0, 1]);
        Assert.Equal(0, t.PositiveCount);
        Assert.Equal(4, t.NegativeCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairMarginMiner(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairMarginMiner(0.2f, float.PositiveInfinity));
    }
}
