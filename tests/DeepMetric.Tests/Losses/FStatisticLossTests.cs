using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class FStatisticLossTests
{
    /// <summary>
    /// I_x(1/2, b) by Simpson's rule on the beta density after t = u² (which removes the t^(−1/2) singularity):
    /// ∫₀^√x (1 − u²)^(b−1) du / ∫₀¹ (1 − u²)^(b−1) du.
    /// </summary>
    private static double IncompleteBetaHalf(double x, double b)
    {
        static double Integral(double upper, double b)
        {
            const int steps = 20_000;
            double h = upper / steps, s = 0;
            for (int i = 0; i <= steps; i++)
            {
                double u = i * h;
                double w = i == 0 || i == steps ? 1 : i % 2 == 1 ? 4 : 2;
                s += w * Math.Pow(1 - (u * u), b - 1);
            }
            return s * h / 3;
        }
        return Integral(Math.Sqrt(x), b) / Integral(1, b);
    }

    /// <summary>The paper's loss by loops: two-class ANOVA per pair and dimension, top d′ by F, −Σ log p, mean over pairs.</summary>
    private static double Expected(float[] e, int[] labels, int d, int kept, double eps = 1e-6)
    {
        var rows = Reference.Rows(e, labels.Length, d);
        var classes = labels.Distinct().ToArray();
        double total = 0;
        int pairs = 0;
        for (int ia = 0; ia < classes.Length; ia++)
        {
            for (int ib = ia + 1; ib < classes.Length; ib++)
            {
                var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == classes[ia] || labels[i] == classes[ib]).ToArray();
                int na = members.Count(i => labels[i] == classes[ia]), nb = members.Length - na;
                double nu = na + nb - 2;
                var f = new double[d];
                for (int k = 0; k < d; k++)
                {
                    double mean = members.Average(i => rows[i][k]);
                    double ma = members.Where(i => labels[i] == classes[ia]).Average(i => rows[i][k]);
                    double mb = members.Where(i => labels[i] == classes[ib]).Average(i => rows[i][k]);
                    double between = (na * (ma - mean) * (ma - mean)) + (nb * (mb - mean) * (mb - mean));
                    double within = members.Sum(i => Math.Pow(rows[i][k] - (labels[i] == classes[ia] ? ma : mb), 2));
                    f[k] = (between / 1) / (within / nu);
                }
                foreach (int k in Enumerable.Range(0, d).OrderByDescending(k => f[k]).Take(kept))
                {
                    double x = Math.Clamp(f[k] / (f[k] + nu), eps, 1 - eps);
                    total -= Math.Log(IncompleteBetaHalf(x, nu / 2));
                }
                pairs++;
            }
        }
        return total / pairs;
    }

    [Theory]
    [InlineData(new[] { 0, 0, 1, 1, 2, 2 }, 4, 2, 1UL)]
    [InlineData(new[] { 3, 7, 3, 7, 3, 7 }, 5, 3, 2UL)]          // interleaved labels, K = 3
    [InlineData(new[] { 1, 1, 2, 2, 3, 3, 4, 4 }, 3, 1, 3UL)]    // d′ = 1
    [InlineData(new[] { 5, 5, 6, 6 }, 2, 4, 4UL)]                // d′ larger than the embedding: all dims
    public void Value_MatchesDoubleLoop(int[] labels, int d, int kept, ulong seed)
    {
        var e = Fixtures.RandomEmbeddings(seed, labels.Length, d);
        var loss = new FStatisticLoss(kept).Compute(e, labels);
        Assert.Equal(Expected(e.ToArray(), labels, d, kept), loss.Item(), 3);
    }

    [Fact]
    public void Value_WellSeparatedClasses_IsSmallAndMatches()
    {
        // Class means far apart on dim 0 relative to the spread: p near 1, loss near 0.
        var e = Tensor.FromArray([0f, 0.1f, 0.1f, -0.2f, 3f, 0.3f, 3.2f, 0f], 4, 2);
        int[] labels = [0, 0, 1, 1];
        var loss = new FStatisticLoss(1).Compute(e, labels);
        Assert.Equal(Expected(e.ToArray(), labels, 2, 1), loss.Item(), 4);
        Assert.True(loss.Item() < 0.1f);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        int[] labels = [0, 1, 2, 0, 1, 2];
        var loss = new FStatisticLoss(2);
        GradCheck.Check(x => loss.Compute(x[0], labels), [GradCheck.Random(5, [labels.Length, 3])], absTol: 1e-2, relTol: 1e-2);
    }

    [Fact]
    public void Gradient_K3_MatchesFiniteDifferences()
    {
        int[] labels = [0, 0, 0, 1, 1, 1];
        var loss = new FStatisticLoss(1);
        GradCheck.Check(x => loss.Compute(x[0], labels), [GradCheck.Random(6, [labels.Length, 2])], absTol: 1e-2, relTol: 1e-2);
    }

    [Fact]
    public void OneClass_GivesZeroAndZeroGradient()
    {
        LossAssert.NothingToLearn(new FStatisticLoss(), [4, 4, 4], seed: 7);
    }

    [Theory]
    [InlineData(new[] { 3 })]                // one sample
    [InlineData(new[] { 1, 2, 3, 4 })]       // all distinct: K = 1
    [InlineData(new[] { 0, 0, 1, 1, 1 })]    // unequal class sizes
    public void NotPClassesTimesK_GivesClearError(int[] labels)
    {
        var e = Fixtures.RandomEmbeddings(8, labels.Length, 3);
        var ex = Assert.Throws<ArgumentException>(() => new FStatisticLoss().Compute(e, labels));
        Assert.Equal("labels", ex.ParamName);
        Assert.Contains("K ≥ 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteLossAndGradient()
    {
        // Every row equal: no variance at all (0/0), x clipped to ε.
        var e = Tensor.FromArray([1f, 2f, 1f, 2f, 1f, 2f, 1f, 2f], 4, 2);
        e.RequiresGrad = true;
        var loss = new FStatisticLoss().Compute(e, [0, 0, 1, 1]);
        Assert.True(float.IsFinite(loss.Item()));
        // K = 2 gives ν = 2 and I_x(1/2, 1) = √x: each of the 2 dims costs −log √ε.
        Assert.Equal(2 * -Math.Log(Math.Sqrt(1e-6)), loss.Item(), 4);
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }

    [Fact]
    public void ZeroWithinVariance_IsClippedAndFinite()
    {
        // Each class collapsed to a point, means differ: F = ∞, x clipped to 1 − ε.
        var e = Tensor.FromArray([0f, 0f, 0f, 0f, 1f, 1f, 1f, 1f], 4, 2);
        e.RequiresGrad = true;
        var loss = new FStatisticLoss().Compute(e, [0, 0, 1, 1]);
        Assert.Equal(2 * -Math.Log(Math.Sqrt(1 - 1e-6)), loss.Item(), 6);
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }

    [Fact]
    public void UnsupportedInputs_GiveClearErrors()
    {
        var e = Fixtures.RandomEmbeddings(9, 4, 2);
        int[] labels = [0, 0, 1, 1];
        var ex = Assert.Throws<ArgumentException>(() => new FStatisticLoss().Compute(e, labels, refEmbeddings: e, refLabels: labels));
        Assert.Equal("refEmbeddings", ex.ParamName);
        var ex2 = Assert.Throws<ArgumentException>(() => new FStatisticLoss().Compute(e, labels, new PairTuples([0], [1], [0], [2])));
        Assert.Equal("tuples", ex2.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FStatisticLoss(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FStatisticLoss(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FStatisticLoss(2, double.NaN));
    }
}
