using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class FastApLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 3];

    /// <summary>The paper's FastAP by loops over a distance matrix; one value 1 − AP per query with a positive.</summary>
    private static List<double> Expected(double[,] dist, int[] labels, int bins, int[]? refLabels = null)
    {
        bool excludeSelf = refLabels is null;
        var r = refLabels ?? labels;
        int n = dist.GetLength(0), m = dist.GetLength(1);
        double delta = 4.0 / bins;
        var losses = new List<double>();
        for (int i = 0; i < n; i++)
        {
            var hp = new double[bins + 1];
            var h = new double[bins + 1];
            int npos = 0;
            for (int j = 0; j < m; j++)
            {
                if (excludeSelf && i == j)
                {
                    continue;
                }
                bool isPos = labels[i] == r[j];
                npos += isPos ? 1 : 0;
                for (int l = 0; l <= bins; l++)
                {
                    double k = Math.Max(0, 1 - (Math.Abs(dist[i, j] - (l * delta)) / delta));
                    h[l] += k;
                    hp[l] += isPos ? k : 0;
                }
            }
            if (npos == 0)
            {
                continue;
            }
            double cp = 0, ca = 0, ap = 0;
            for (int l = 0; l <= bins; l++)
            {
                cp += hp[l];
                ca += h[l];
                ap += ca > 0 ? hp[l] * cp / ca : 0;
            }
            losses.Add(1 - (ap / npos));
        }
        return losses;
    }

    private static double[,] SquaredNormalized(Tensor e, int n, int d)
    {
        var dist = Reference.NormalizedEuclidean(e.ToArray(), n, e.ToArray(), n, d);
        var sq = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                sq[i, j] = dist[i, j] * dist[i, j];
            }
        }
        return sq;
    }

    [Theory]
    [InlineData(10, 1UL)]
    [InlineData(4, 2UL)]
    [InlineData(25, 3UL)]
    public void Value_MatchesDoubleLoop(int bins, ulong seed)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new FastApLoss(bins).Compute(e, Labels);
        Assert.Equal(Expected(SquaredNormalized(e, Labels.Length, 4), Labels, bins).Average(), loss.Item(), 4);
    }

    [Fact]
    public void Value_WithCosineSimilarity_MapsToSquaredDistance()
    {
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 3);
        var loss = new FastApLoss(distance: new CosineSimilarity()).Compute(e, Labels);
        Assert.Equal(Expected(SquaredNormalized(e, Labels.Length, 3), Labels, 10).Average(), loss.Item(), 4);
    }

    [Fact]
    public void PerfectRanking_GivesSmallLoss()
    {
        // Two tight, opposite clusters: positives at squared distance ~0, negatives at ~4.
        var e = Tensor.FromArray([1f, 0f, 1f, 0.01f, -1f, 0f, -1f, 0.01f], 4, 2);
        var loss = new FastApLoss().Compute(e, [0, 0, 1, 1]);
        Assert.True(loss.Item() < 1e-3f, $"loss {loss.Item()}");
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        // The triangular kernel has kinks at the bin centres; these inputs keep every distance away from them.
        var loss = new FastApLoss();
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 2, 1, 1]), [GradCheck.Random(13, [6, 3])]);
        GradCheck.Check(x => new FastApLoss(4).Compute(x[0], [0, 0, 1, 1, 1, 2]), [GradCheck.Random(7, [6, 3])]);
    }

    [Fact]
    public void SeparateReferenceSet_RanksTheReference()
    {
        var e = Fixtures.RandomEmbeddings(6, 3, 3);
        var r = Fixtures.RandomEmbeddings(7, 5, 3);
        int[] labels = [0, 1, 9], refLabels = [0, 1, 1, 2, 0];
        var loss = new FastApLoss().Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        var dist = Reference.NormalizedEuclidean(e.ToArray(), 3, r.ToArray(), 5, 3);
        var sq = new double[3, 5];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 5; j++)
            {
                sq[i, j] = dist[i, j] * dist[i, j];
            }
        }
        Assert.Equal(Expected(sq, labels, 10, refLabels).Average(), loss.Item(), 4);
    }

    [Theory]
    [InlineData(new[] { 3 })]             // one sample
    [InlineData(new[] { 1, 2, 3, 4 })]    // no positive
    public void NothingToLearn_GivesZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new FastApLoss(), labels, seed: 8);
    }

    [Fact]
    public void OneClass_GivesZeroLoss()
    {
        // Only positives: precision 1 at every rank.
        var e = Fixtures.RandomEmbeddings(9, 4, 3);
        var loss = new FastApLoss().Compute(e, [2, 2, 2, 2]);
        Assert.Equal(0f, loss.Item(), 5);
    }

    [Fact]
    public void DuplicatedEmbeddingsAndBadArguments()
    {
        LossAssert.FiniteGradientOnDuplicates(new FastApLoss(), LossAssert.TwoDuplicatedPairs(), [0, 1, 0, 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FastApLoss(0));
    }
}
