using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class VicRegLossTests
{
    /// <summary>VICReg by loops in double precision (variance terms averaged, as the reference code).</summary>
    private static double Expected(float[] a, float[] b, int n, int d, double lambda = 25, double mu = 25, double nu = 1, double gamma = 1, double eps = 1e-4)
    {
        var x = Reference.Rows(a, n, d);
        var y = Reference.Rows(b, n, d);
        double inv = 0;
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < d; k++)
            {
                inv += (x[i][k] - y[i][k]) * (x[i][k] - y[i][k]);
            }
        }
        inv /= n * d;
        var (v1, c1) = VarCov(x, n, d, gamma, eps);
        var (v2, c2) = VarCov(y, n, d, gamma, eps);
        return (lambda * inv) + (mu * (v1 + v2) / 2) + (nu * (c1 + c2));
    }

    private static (double V, double C) VarCov(double[][] z, int n, int d, double gamma, double eps)
    {
        var mean = new double[d];
        for (int k = 0; k < d; k++)
        {
            mean[k] = z.Average(r => r[k]);
        }
        double v = 0, c = 0;
        for (int k = 0; k < d; k++)
        {
            for (int l = 0; l < d; l++)
            {
                double cov = 0;
                for (int i = 0; i < n; i++)
                {
                    cov += (z[i][k] - mean[k]) * (z[i][l] - mean[l]);
                }
                cov /= n - 1;
                if (k == l)
                {
                    v += Math.Max(0, gamma - Math.Sqrt(cov + eps));
                }
                else
                {
                    c += cov * cov;
                }
            }
        }
        return (v / d, c / d);
    }

    [Theory]
    [InlineData(1UL, 6, 4, 1f)]
    [InlineData(2UL, 5, 3, 0.3f)]   // small spread: the variance hinge is active
    [InlineData(3UL, 2, 5, 2f)]     // two rows
    public void Value_MatchesDoubleLoop(ulong seed, int n, int d, float scale)
    {
        var a = Ops.Mul(Fixtures.RandomEmbeddings(seed, n, d, requiresGrad: false), scale);
        var b = Ops.Add(a, Ops.Mul(Fixtures.RandomEmbeddings(seed + 100, n, d, requiresGrad: false), 0.2f));
        var loss = new VicRegLoss().Compute(a, b);
        Assert.Equal(Expected(a.ToArray(), b.ToArray(), n, d), loss.Item(), 3);
    }

    [Fact]
    public void CustomWeights_AndGeneralComputeAgree()
    {
        var a = Fixtures.RandomEmbeddings(4, 5, 3);
        var b = Fixtures.RandomEmbeddings(5, 5, 3);
        var vic = new VicRegLoss(1f, 2f, 3f, gamma: 0.5f, epsilon: 1e-3f);
        int[] labels = [7, 7, 7, 7, 7];
        var general = vic.Compute(a, labels, refEmbeddings: b, refLabels: labels);
        Assert.Equal(Expected(a.ToArray(), b.ToArray(), 5, 3, 1, 2, 3, 0.5, 1e-3), general.Item(), 4);
        Assert.Equal(general.Item(), vic.Compute(a, b).Item());
        var terms = vic.ComputeTerms(a, labels, refEmbeddings: b, refLabels: labels);
        Assert.Equal(["invariance", "variance", "covariance"], terms.Select(t => t.Name));
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var vic = new VicRegLoss(1f, 1f, 1f);
        GradCheck.Check(x => vic.Compute(x[0], x[1]), [GradCheck.Random(6, [5, 3]), GradCheck.Random(7, [5, 3], -0.3f, 0.3f)]);
    }

    [Fact]
    public void IdenticalCollapsedViews_GiveFiniteGradient()
    {
        // Every row the same: std = √ε, invariance 0; the gradient must stay finite.
        var a = Tensor.Full(0.5f, 4, 3);
        a.RequiresGrad = true;
        var loss = new VicRegLoss().Compute(a, a);
        Assert.Equal(25 * (1 - Math.Sqrt(1e-4)), loss.Item(), 4);
        loss.Backward();
        Fixtures.AssertFinite(a.Grad);
    }

    [Fact]
    public void BadInput_GivesClearErrors()
    {
        var a = Fixtures.RandomEmbeddings(8, 4, 3);
        var ex = Assert.Throws<ArgumentException>(() => new VicRegLoss().Compute(a, [0, 1, 2, 3]));
        Assert.Equal("refEmbeddings", ex.ParamName);
        var ex2 = Assert.Throws<ArgumentException>(() => new VicRegLoss().Compute(a, Fixtures.RandomEmbeddings(9, 3, 3)));
        Assert.Equal("refEmbeddings", ex2.ParamName);
        var one = Fixtures.RandomEmbeddings(10, 1, 3);
        var ex3 = Assert.Throws<ArgumentException>(() => new VicRegLoss().Compute(one, one));
        Assert.Contains("at least 2 rows", ex3.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new VicRegLoss().Compute(a, Fixtures.RandomEmbeddings(11, 4, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VicRegLoss(invarianceWeight: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VicRegLoss(epsilon: 0f));
    }
}
