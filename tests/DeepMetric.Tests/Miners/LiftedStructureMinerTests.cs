using DeepMetric.Distances;
using DeepMetric.Miners;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class LiftedStructureMinerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatchesBruteForce(bool cosine)
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(31, l.Length, 3, false);
        Distance dist = cosine ? new CosineSimilarity() : new LpDistance();
        var t = (TripletTuples)new LiftedStructureMiner(dist).Mine(e, l);
        var m = cosine ? MinerCheck.Cosine(e, e) : MinerCheck.Euclid(e, e);
        double D(int i, int j) => cosine ? -m[i, j] : m[i, j];
        int Hardest(int i) => Enumerable.Range(0, l.Length).Where(k => l[k] != l[i]).MinBy(k => D(i, k));
        // For each unordered positive pair {i, j}: (i, j, hardest neg of i) and (j, i, hardest neg of j).
        var expected = new List<(int, int, int)>();
        for (int i = 0; i < l.Length; i++)
        {
            for (int j = i + 1; j < l.Length; j++)
            {
                if (l[i] == l[j])
                {
                    expected.Add((i, j, Hardest(i)));
                    expected.Add((j, i, Hardest(j)));
                }
            }
        }
        Assert.Equal(expected.Order().ToList(), MinerCheck.Set(t));
    }

    [Fact]
    public void EdgeCases()
    {
        var e = Fixtures.RandomEmbeddings(1, 3, 2, false);
        Assert.Equal(0, new LiftedStructureMiner().Mine(e, [0, 0, 0]).Count);
        Assert.Equal(0, new LiftedStructureMiner().Mine(e, [0, 1, 2]).Count);
        Assert.Equal(0, new LiftedStructureMiner().Mine(Fixtures.RandomEmbeddings(2, 1, 2, false), [0]).Count);
    }
}
