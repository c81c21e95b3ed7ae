using DeepMetric.Distances;
using DeepMetric.Miners;
using DeepMetric.Tests.TestUtil;
using S = DeepMetric.Miners.BatchEasyHardStrategy;

namespace DeepMetric.Tests.Miners;

public sealed class BatchEasyHardMinerTests
{
    // Brute force, written for distances (smaller = closer); similarities are negated first.
    private static (List<(int, int)> Pos, List<(int, int)> Neg) BruteForce(double[,] m, int[] l, S ps, S ns, (double, double)? pr, (double, double)? nr, bool sim)
    {
        List<(int, int)> pos = [], neg = [];
        for (int i = 0; i < l.Length; i++)
        {
            double D(int j) => sim ? -m[i, j] : m[i, j];
            bool In(int j, (double Lo, double Hi)? r) => r is not { } x || (m[i, j] >= x.Lo && m[i, j] <= x.Hi);
            var pc = Enumerable.Range(0, l.Length).Where(j => MinerCheck.IsPos(l, l, true, i, j) && In(j, pr)).ToList();
            var nc = Enumerable.Range(0, l.Length).Where(j => MinerCheck.IsNeg(l, l, i, j) && In(j, nr)).ToList();
            int? Arg(IEnumerable<int> c, bool min)
            {
                var list = c.ToList();
                return list.Count == 0 ? null : min ? list.MinBy(D) : list.MaxBy(D);
            }
            int? p = ps switch { S.Easy => Arg(pc, true), S.Hard => Arg(pc, false), _ => null };
            int? n = ns switch { S.Easy => Arg(nc, false), S.Hard => Arg(nc, true), _ => null };
            if (ps == S.SemiHard)
            {
                p = n is { } nn ? Arg(pc.Where(j => D(j) < D(nn)), false) : null;
                n = p is null ? null : n;
            }
            if (ns == S.SemiHard)
            {
                n = p is { } pp ? Arg(nc.Where(j => D(j) > D(pp)), true) : null;
                p = n is null ? null : p;
            }
            // As PML: without an "all" side only anchors with both a positive and a negative count, and an "all"
            // side takes every pair of its kind whatever the allowed range.
            if (ps != S.All && ns != S.All && (p is null || n is null))
            {
                continue;
            }
            var allPos = Enumerable.Range(0, l.Length).Where(j => MinerCheck.IsPos(l, l, true, i, j));
            var allNeg = Enumerable.Range(0, l.Length).Where(j => MinerCheck.IsNeg(l, l, i, j));
            pos.AddRange(ps == S.All ? allPos.Select(j => (i, j)) : p is { } a ? [(i, a)] : []);
            neg.AddRange(ns == S.All ? allNeg.Select(j => (i, j)) : n is { } b ? [(i, b)] : []);
        }
        return (pos.Order().ToList(), neg.Order().ToList());
    }

    public static TheoryData<S, S, bool> Strategies()
    {
        var data = new TheoryData<S, S, bool>();
        foreach (var ps in Enum.GetValues<S>())
        {
            foreach (var ns in Enum.GetValues<S>())
            {
                bool invalid = (ps == S.SemiHard && (ns == S.SemiHard || ns == S.All)) || (ns == S.SemiHard && ps == S.All);
                if (!invalid)
                {
                    data.Add(ps, ns, false);
                    data.Add(ps, ns, true);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void MatchesBruteForce(S ps, S ns, bool cosine)
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(11, l.Length, 3, false);
        Distance dist = cosine ? new CosineSimilarity() : new LpDistance();
        var t = (PairTuples)new BatchEasyHardMiner(ps, ns, distance: dist).Mine(e, l);
        var m = cosine ? MinerCheck.Cosine(e, e) : MinerCheck.Euclid(e, e);
        var (pos, neg) = BruteForce(m, l, ps, ns, null, null, cosine);
        Assert.Equal(pos, MinerCheck.PosSet(t));
        Assert.Equal(neg, MinerCheck.NegSet(t));
    }

    [Theory]
    [InlineData(S.Hard, S.Hard)]
    [InlineData(S.Easy, S.SemiHard)]
    [InlineData(S.All, S.All)]
    public void Ranges_MatchBruteForce(S ps, S ns)
    {
        var l = MinerCheck.Labels;
        var e = Fixtures.RandomEmbeddings(12, l.Length, 3, false);
        var t = (PairTuples)new BatchEasyHardMiner(ps, ns, (0.3f, 1.2f), (0.5f, 1.5f)).Mine(e, l);
        var (pos, neg) = BruteForce(MinerCheck.Euclid(e, e), l, ps, ns, (0.3, 1.2), (0.5, 1.5), false);
        Assert.Equal(pos, MinerCheck.PosSet(t));
        Assert.Equal(neg, MinerCheck.NegSet(t));
    }

    [Fact]
    public void HandWorked_OneDimension()
    {
        // Points on a line (normalisation off): anchor 0 at 0, positives at 1 and 3, negatives at 2 and 5.
        var e = DeepMetric.Tensors.Tensor.FromArray([0f, 1f, 3f, 2f, 5f], 5, 1);
        int[] l = [0, 0, 0, 1, 1];
        var dist = new LpDistance(normalizeEmbeddings: false);
        var easySemi = (PairTuples)new BatchEasyHardMiner(distance: dist).Mine(e, l);
        // Easy positive of 0 is 1 (d=1); semi-hard negative: closest negative farther than 1 → 3 (d=2).
        Assert.Contains((0, 1), MinerCheck.PosSet(easySemi));
        Assert.Contains((0, 3), MinerCheck.NegSet(easySemi));
        var hardHard = (PairTuples)new BatchEasyHardMiner(S.Hard, S.Hard, distance: dist).Mine(e, l);
        Assert.Contains((0, 2), MinerCheck.PosSet(hardHard));
        Assert.Contains((0, 3), MinerCheck.NegSet(hardHard));
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Throws<ArgumentException>(() => new BatchEasyHardMiner(S.SemiHard, S.SemiHard));
        Assert.Throws<ArgumentException>(() => new BatchEasyHardMiner(S.SemiHard, S.All));
        Assert.Throws<ArgumentException>(() => new BatchEasyHardMiner(S.All, S.SemiHard));
        Assert.Throws<ArgumentException>(() => new BatchEasyHardMiner(allowedPosRange: (1f, 0f)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchEasyHardMiner((S)42));
        Assert.Equal(0, new BatchEasyHardMiner().Mine(Fixtures.RandomEmbeddings(1, 1, 2, false), [0]).Count);
    }
}
