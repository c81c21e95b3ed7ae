using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class MinerTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 1, 2, 0, 2];

    [Fact]
    public void BatchHard_PicksFarthestPositiveAndClosestNegative()
    {
        var e = Fixtures.RandomEmbeddings(1, Labels.Length, 4, false);
        var t = (TripletTuples)new BatchHardMiner().Mine(e, Labels);
        var d = Reference.NormalizedEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4);
        Assert.Equal(Labels.Length, t.Count);
        for (int k = 0; k < t.Count; k++)
        {
            int a = t.Anchors[k];
            double worstPos = Enumerable.Range(0, Labels.Length).Where(j => j != a && Labels[j] == Labels[a]).Max(j => d[a, j]);
            double bestNeg = Enumerable.Range(0, Labels.Length).Where(j => Labels[j] != Labels[a]).Min(j => d[a, j]);
            Assert.Equal(worstPos, d[a, t.Positives[k]], 5);
            Assert.Equal(bestNeg, d[a, t.Negatives[k]], 5);
        }
    }

    [Fact]
    public void BatchHard_WithSimilarity_InvertsDirection()
    {
        var e = Fixtures.RandomEmbeddings(2, Labels.Length, 4, false);
        var t = (TripletTuples)new BatchHardMiner(new CosineSimilarity()).Mine(e, Labels);
        var d = Reference.NormalizedEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4);
        // On normalised vectors the most similar is the nearest in Euclidean distance.
        for (int k = 0; k < t.Count; k++)
        {
            int a = t.Anchors[k];
            double bestNeg = Enumerable.Range(0, Labels.Length).Where(j => Labels[j] != Labels[a]).Min(j => d[a, j]);
            Assert.Equal(bestNeg, d[a, t.Negatives[k]], 5);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchHard_MatchesBruteForce_WithSeparateReferenceAndSingletons(bool cosine)
    {
        int[] labels = [0, 1, 1, 2, 3, 0], refLabels = [1, 0, 2, 2, 0, 1, 4];
        var e = Fixtures.RandomEmbeddings(21, labels.Length, 3, false);
        var r = Fixtures.RandomEmbeddings(22, refLabels.Length, 3, false);
        var t = (TripletTuples)new BatchHardMiner(cosine ? new CosineSimilarity() : null).Mine(e, labels, r, refLabels);
        var d = Reference.NormalizedEuclidean(e.ToArray(), labels.Length, r.ToArray(), refLabels.Length, 3);
        var expected = new List<(int, int, int)>();
        for (int a = 0; a < labels.Length; a++)
        {
            int hp = -1, hn = -1;
            for (int j = 0; j < refLabels.Length; j++)
            {
                // Farthest positive, nearest negative (cosine ranks normalised vectors as Euclidean does, reversed).
                if (refLabels[j] == labels[a] && (hp < 0 || d[a, j] > d[a, hp]))
                {
                    hp = j;
                }
                else if (refLabels[j] != labels[a] && (hn < 0 || d[a, j] < d[a, hn]))
                {
                    hn = j;
                }
            }
            if (hp >= 0 && hn >= 0)
            {
                expected.Add((a, hp, hn));
            }
        }
        Assert.Equal(expected, MinerCheck.Set(t));
        // Label 3 has no reference positive: that anchor is skipped.
        Assert.DoesNotContain(4, t.Anchors);
    }

    [Theory]
    [InlineData(TripletKind.All)]
    [InlineData(TripletKind.Hard)]
    [InlineData(TripletKind.SemiHard)]
    [InlineData(TripletKind.Easy)]
    public void TripletMargin_MatchesBruteForce(TripletKind kind)
    {
        const float Margin = 0.3f;
        var e = Fixtures.RandomEmbeddings(3, Labels.Length, 4, false);
        var t = (TripletTuples)new TripletMarginMiner(Margin, kind).Mine(e, Labels);
        var d = Reference.NormalizedEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4);
        var expected = new List<(int, int, int)>();
        for (int a = 0; a < Labels.Length; a++)
        {
            for (int p = 0; p < Labels.Length; p++)
            {
                for (int n = 0; n < Labels.Length; n++)
                {
                    if (a == p || Labels[a] != Labels[p] || Labels[a] == Labels[n])
                    {
                        continue;
                    }
                    double s = d[a, n] - d[a, p];
                    bool keep = kind switch
                    {
                        TripletKind.All => s <= Margin,
                        TripletKind.Hard => s <= 0,
                        TripletKind.SemiHard => s > 0 && s <= Margin,
                        _ => s > Margin,
                    };
                    if (keep)
                    {
                        expected.Add((a, p, n));
                    }
                }
            }
        }
        var got = Enumerable.Range(0, t.Count).Select(k => (t.Anchors[k], t.Positives[k], t.Negatives[k])).ToList();
        Assert.Equal(expected.OrderBy(x => x).ToList(), got.OrderBy(x => x).ToList());
    }

    [Fact]
    public void Miners_HandleBatchesWithoutTriplets()
    {
        var e = Fixtures.RandomEmbeddings(4, 3, 2, false);
        Assert.Equal(0, new BatchHardMiner().Mine(e, [0, 1, 2]).Count);
        Assert.Equal(0, new TripletMarginMiner().Mine(e, [1, 1, 1]).Count);
        var one = Fixtures.RandomEmbeddings(5, 1, 2, false);
        Assert.Equal(0, new BatchHardMiner().Mine(one, [0]).Count);
    }

    [Fact]
    public void Miner_OutputFeedsLoss()
    {
        var e = Fixtures.RandomEmbeddings(6, Labels.Length, 4);
        var miner = new TripletMarginMiner(0.2f, TripletKind.SemiHard);
        var tuples = miner.Mine(e, Labels);
        Assert.Equal(tuples.Count, miner.LastTupleCount);
        var loss = new TripletMarginLoss(0.2f).Compute(e, Labels, tuples);
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }
}
