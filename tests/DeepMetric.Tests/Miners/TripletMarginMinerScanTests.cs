using DeepMetric.Distances;
using DeepMetric.Miners;
using DeepMetric.Tensors;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

// The vectorised band scan of TripletMarginMiner against a plain loop over every (anchor, positive, negative) of the
// float matrix: row lengths that are not multiples of the vector width, exact ties, margins hit exactly, batches with
// nothing to mine, and batches of different sizes in a row (the miner reuses its output buffer).
public sealed class TripletMarginMinerScanTests
{
    // Plain loop: the band test on the separation as Distance.Separation computes it from the float matrix entries.
    private static List<(int, int, int)> BruteForce(float[] d, int[] labels, int[] refLabels, bool sameSet, bool inverted, TripletKind kind, float margin)
    {
        int cols = refLabels.Length;
        var expected = new List<(int, int, int)>();
        for (int a = 0; a < labels.Length; a++)
        {
            for (int p = 0; p < cols; p++)
            {
                if (labels[a] != refLabels[p] || (sameSet && a == p))
                {
                    continue;
                }
                for (int n = 0; n < cols; n++)
                {
                    if (labels[a] == refLabels[n])
                    {
                        continue;
                    }
                    float dp = d[(a * cols) + p], dn = d[(a * cols) + n];
                    float s = inverted ? dp - dn : dn - dp;
                    bool keep = kind switch
                    {
                        TripletKind.All => s <= margin,
                        TripletKind.Hard => s <= 0,
                        TripletKind.SemiHard => s > 0 && s <= margin,
                        _ => s > margin,
                    };
                    if (keep)
                    {
                        expected.Add((a, p, n));
                    }
                }
            }
        }
        return expected;
    }

    private static List<(int, int, int)> Sequence(TripletTuples t) =>
        Enumerable.Range(0, t.Count).Select(k => (t.Anchors[k], t.Positives[k], t.Negatives[k])).ToList();

    private static int[] CyclicLabels(int n, int classes) => Enumerable.Range(0, n).Select(i => i * 11 % classes).ToArray();

    private static List<(int, int, int)> CheckAgainstBruteForce(Tensor e, int[] labels, Tensor? r, int[]? refLabels, TripletKind kind, float margin, Distance distance)
    {
        var got = (TripletTuples)new TripletMarginMiner(margin, kind, distance).Mine(e, labels, r, refLabels);
        var d = distance.Pairwise(e, r).ToArray();
        var expected = BruteForce(d, labels, refLabels ?? labels, r is null, distance.IsInverted, kind, margin);
        Assert.Equal(expected, Sequence(got));
        return expected;
    }

    public static TheoryData<TripletKind, bool, int, int> Sizes()
    {
        var data = new TheoryData<TripletKind, bool, int, int>();
        foreach (var kind in Enum.GetValues<TripletKind>())
        {
            foreach (bool cosine in new[] { false, true })
            {
                data.Add(kind, cosine, 37, 3);   // 24–25 negatives per anchor: three vectors and a tail
                data.Add(kind, cosine, 61, 7);
                data.Add(kind, cosine, 9, 2);    // shorter than one vector
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SameSet_ExactSequence(TripletKind kind, bool cosine, int n, int classes)
    {
        var labels = CyclicLabels(n, classes);
        var e = Fixtures.RandomEmbeddings((ulong)(n + classes), n, 4, false);
        Distance distance = cosine ? new CosineSimilarity() : new LpDistance();
        var expected = CheckAgainstBruteForce(e, labels, null, null, kind, 0.4f, distance);
        Assert.NotEmpty(expected);
    }

    [Theory]
    [InlineData(TripletKind.SemiHard, false)]
    [InlineData(TripletKind.SemiHard, true)]
    [InlineData(TripletKind.All, false)]
    [InlineData(TripletKind.Easy, true)]
    [InlineData(TripletKind.Hard, false)]
    public void SeparateReferenceSet_ExactSequence(TripletKind kind, bool cosine)
    {
        var labels = CyclicLabels(23, 4);
        var refLabels = CyclicLabels(45, 5);
        var e = Fixtures.RandomEmbeddings(5, labels.Length, 3, false);
        var r = Fixtures.RandomEmbeddings(6, refLabels.Length, 3, false);
        Distance distance = cosine ? new CosineSimilarity() : new LpDistance();
        var expected = CheckAgainstBruteForce(e, labels, r, refLabels, kind, 0.5f, distance);
        Assert.NotEmpty(expected);
    }

    [Theory]
    [InlineData(TripletKind.All)]
    [InlineData(TripletKind.Hard)]
    [InlineData(TripletKind.SemiHard)]
    [InlineData(TripletKind.Easy)]
    public void AllDistinctLabelsOrOneClass_GiveNoTriplets(TripletKind kind)
    {
        var e = Fixtures.RandomEmbeddings(7, 20, 3, false);
        var miner = new TripletMarginMiner(0.3f, kind);
        Assert.Equal(0, miner.Mine(e, Enumerable.Range(0, 20).ToArray()).Count);
        Assert.Equal(0, miner.Mine(e, new int[20]).Count);
        Assert.Equal(0, miner.Mine(Fixtures.RandomEmbeddings(8, 1, 3, false), [0]).Count);
    }

    [Theory]
    [InlineData(TripletKind.All)]
    [InlineData(TripletKind.Hard)]
    [InlineData(TripletKind.SemiHard)]
    [InlineData(TripletKind.Easy)]
    public void DuplicatedEmbeddings_TiesFollowTheBand(TripletKind kind)
    {
        // Rows repeat in groups of three, so many separations are exactly 0 (and many negatives tie).
        var baseRows = Fixtures.RandomEmbeddings(9, 7, 3, false).ToArray();
        var data = new float[21 * 3];
        for (int i = 0; i < 21; i++)
        {
            Array.Copy(baseRows, (i % 7) * 3, data, i * 3, 3);
        }
        var e = Tensor.FromArray(data, 21, 3);
        var labels = CyclicLabels(21, 4);
        CheckAgainstBruteForce(e, labels, null, null, kind, 0.3f, new LpDistance());
    }

    [Theory]
    [InlineData(TripletKind.All)]
    [InlineData(TripletKind.SemiHard)]
    [InlineData(TripletKind.Easy)]
    public void MarginEqualToASeparation_IsOnTheRightSideOfTheBand(TripletKind kind)
    {
        var labels = CyclicLabels(30, 3);
        var e = Fixtures.RandomEmbeddings(10, labels.Length, 3, false);
        var distance = new LpDistance();
        var d = distance.Pairwise(e).ToArray();
        // A margin that is exactly the separation of one triplet (0, p, n): that triplet lies on the band's edge.
        int p = Array.FindIndex(labels, 1, l => l == labels[0]);
        int n = Array.FindIndex(labels, l => l != labels[0]);
        float margin = d[n] - d[p];
        Assert.True(margin > 0);
        var expected = CheckAgainstBruteForce(e, labels, null, null, kind, margin, distance);
        Assert.Equal(kind != TripletKind.Easy, expected.Contains((0, p, n)));
    }

    [Fact]
    public void BatchesOfDifferentSizes_InARow_EachExact()
    {
        // The miner keeps its output storage between calls: a large batch, then small ones, then large again.
        var distance = new LpDistance();
        foreach (int n in new[] { 64, 5, 17, 64, 3 })
        {
            var labels = CyclicLabels(n, 3);
            var e = Fixtures.RandomEmbeddings((ulong)(20 + n), n, 3, false);
            CheckAgainstBruteForce(e, labels, null, null, TripletKind.SemiHard, 0.6f, distance);
            CheckAgainstBruteForce(e, labels, null, null, TripletKind.All, 0.6f, distance);
        }
    }
}
