using DeepMetric.Miners;
using DeepMetric.Tensors;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class AngularMinerTests
{
    private static List<(int, int, int)> BruteForce(double[][] q, double[][] r, int[] l, int[] rl, bool same, double degrees)
    {
        var res = new List<(int, int, int)>();
        for (int a = 0; a < l.Length; a++)
        {
            for (int p = 0; p < rl.Length; p++)
            {
                if (!MinerCheck.IsPos(l, rl, same, a, p))
                {
                    continue;
                }
                var c = q[a].Zip(r[p], (x, y) => (x + y) / 2).ToArray();
                for (int n = 0; n < rl.Length; n++)
                {
                    if (MinerCheck.IsNeg(l, rl, a, n))
                    {
                        double angle = Math.Atan(Reference.Lp(q[a], r[p], 2) / (2 * Reference.Lp(r[n], c, 2))) * 180 / Math.PI;
                        if (angle > degrees)
                        {
                            res.Add((a, p, n));
                        }
                    }
                }
            }
        }
        return res.Order().ToList();
    }

    [Theory]
    [InlineData(51UL, 20f)]
    [InlineData(52UL, 35f)]
    [InlineData(53UL, 10f)]
    public void MatchesBruteForce(ulong seed, float angle)
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(seed, l.Length, 3, false);
        var rows = Reference.Rows(e.ToArray(), l.Length, 3).Select(Reference.Normalize).ToArray();
        var t = (TripletTuples)new AngularMiner(angle, normalizeEmbeddings: true).Mine(e, l);
        var expected = BruteForce(rows, rows, l, l, true, angle);
        Assert.Equal(expected, MinerCheck.Set(t));
        Assert.NotEmpty(expected);
    }

    [Fact]
    public void SeparateReference_Unnormalised_MatchesBruteForce()
    {
        int[] l = [0, 1, 0], rl = [0, 1, 1, 2, 0];
        var e = Fixtures.RandomEmbeddings(54, l.Length, 3, false);
        var r = Fixtures.RandomEmbeddings(55, rl.Length, 3, false);
        var t = (TripletTuples)new AngularMiner(25f, normalizeEmbeddings: false).Mine(e, l, r, rl);
        var expected = BruteForce(Reference.Rows(e.ToArray(), l.Length, 3), Reference.Rows(r.ToArray(), rl.Length, 3), l, rl, false, 25);
        Assert.Equal(expected, MinerCheck.Set(t));
    }

    [Fact]
    public void HandWorked()
    {
        // a = (−1, 0), p = (1, 0), centre 0; n = (0, h): angle at n = atan(1/h): h = 1 → 45°, 2.5 → 21.8°, 3 → 18.4°.
        var e = Tensor.FromArray([-1f, 0f, 1f, 0f, 0f, 1f, 0f, 2.5f, 0f, 3f], 5, 2);
        var t = (TripletTuples)new AngularMiner(20f, normalizeEmbeddings: false).Mine(e, [0, 0, 1, 2, 3]);
        Assert.Equal([(0, 1, 2), (0, 1, 3), (1, 0, 2), (1, 0, 3)], MinerCheck.Set(t));
    }

    [Fact]
    public void EdgeCases()
    {
        // Negative at the centre: angle 90°, kept; duplicated anchor and positive: angle 0, not kept.
        var e = Tensor.FromArray([-1f, 0f, 1f, 0f, 0f, 0f, 1f, 0f], 4, 2);
        var t = (TripletTuples)new AngularMiner(normalizeEmbeddings: false).Mine(e, [0, 0, 1, 2]);
        Assert.Contains((0, 1, 2), MinerCheck.Set(t));
        var dup = Tensor.FromArray([1f, 0f, 1f, 0f, 0f, 1f], 3, 2);
        Assert.Equal(0, new AngularMiner().Mine(dup, [0, 0, 1]).Count);
        Assert.Equal(0, new AngularMiner().Mine(Fixtures.RandomEmbeddings(1, 1, 2, false), [0]).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AngularMiner(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AngularMiner(90f));
    }
}
