using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class SmoothApLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 2, 0, 1];

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>The paper's Smooth-AP by loops over a similarity matrix; mean of 1 − AP over queries with a positive.</summary>
    private static double Expected(double[,] sim, int[] labels, double tau, int[]? refLabels = null)
    {
        bool same = refLabels is null;
        var r = refLabels ?? labels;
        int n = sim.GetLength(0), m = sim.GetLength(1);
        var losses = new List<double>();
        for (int q = 0; q < n; q++)
        {
            var omega = Enumerable.Range(0, m).Where(j => !(same && j == q)).ToArray();
            var pos = omega.Where(j => r[j] == labels[q]).ToArray();
            if (pos.Length == 0)
            {
                continue;
            }
            double ap = 0;
            foreach (int p in pos)
            {
                double rp = 1 + pos.Where(j => j != p).Sum(j => Sigmoid((sim[q, j] - sim[q, p]) / tau));
                double ra = 1 + omega.Where(j => j != p).Sum(j => Sigmoid((sim[q, j] - sim[q, p]) / tau));
                ap += rp / ra;
            }
            losses.Add(1 - (ap / pos.Length));
        }
        return losses.Count == 0 ? 0 : losses.Average();
    }

    private static double[,] Cosine(Tensor a, int n, Tensor b, int m, int d)
    {
        var x = Reference.Rows(a.ToArray(), n, d).Select(Reference.Normalize).ToArray();
        var y = Reference.Rows(b.ToArray(), m, d).Select(Reference.Normalize).ToArray();
        var s = new double[n, m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                s[i, j] = Reference.Dot(x[i], y[j]);
            }
        }
        return s;
    }

    [Theory]
    [InlineData(0.01f, 1UL)]
    [InlineData(0.1f, 2UL)]
    [InlineData(1f, 3UL)]
    public void Value_MatchesDoubleLoop(float tau, ulong seed)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new SmoothApLoss(tau).Compute(e, Labels);
        Assert.Equal(Expected(Cosine(e, Labels.Length, e, Labels.Length, 4), Labels, tau), loss.Item(), 4);
    }

    [Fact]
    public void Value_WithLpDistance_RanksByNegatedDistance()
    {
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 3);
        var loss = new SmoothApLoss(0.05f, new LpDistance()).Compute(e, Labels);
        var d = Reference.NormalizedEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 3);
        var s = new double[Labels.Length, Labels.Length];
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                s[i, j] = -d[i, j];
            }
        }
        Assert.Equal(Expected(s, Labels, 0.05), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        int[] labels = [0, 1, 0, 2, 1, 1];
        var loss = new SmoothApLoss(0.5f);
        GradCheck.Check(x => loss.Compute(x[0], labels), [GradCheck.Random(5, [6, 3])]);
        var sharp = new SmoothApLoss(0.1f, new LpDistance());
        GradCheck.Check(x => sharp.Compute(x[0], labels), [GradCheck.Random(6, [6, 3])]);
    }

    [Fact]
    public void SeparateReferenceSet_RanksTheReference()
    {
        var e = Fixtures.RandomEmbeddings(6, 3, 3);
        var r = Fixtures.RandomEmbeddings(7, 5, 3);
        int[] labels = [0, 1, 9], refLabels = [0, 1, 1, 2, 0];
        var loss = new SmoothApLoss(0.1f).Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        Assert.Equal(Expected(Cosine(e, 3, r, 5, 3), labels, 0.1, refLabels), loss.Item(), 4);
    }

    [Theory]
    [InlineData(new[] { 3 })]             // one sample
    [InlineData(new[] { 1, 2, 3, 4 })]    // no positive
    public void NothingToLearn_GivesZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new SmoothApLoss(), labels, seed: 8);
    }

    [Fact]
    public void OneClass_GivesZeroLoss()
    {
        var e = Fixtures.RandomEmbeddings(9, 4, 3);
        Assert.Equal(0f, new SmoothApLoss().Compute(e, [2, 2, 2, 2]).Item(), 5);
    }

    [Fact]
    public void DuplicatedEmbeddingsAndBadArguments()
    {
        LossAssert.FiniteGradientOnDuplicates(new SmoothApLoss(), LossAssert.TwoDuplicatedPairs(), [0, 1, 0, 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothApLoss(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothApLoss(float.NaN));
    }
}
