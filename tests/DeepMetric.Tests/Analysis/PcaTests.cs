using DeepMetric.Analysis;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Analysis;

public sealed class PcaTests
{
    [Fact]
    public void PointsOnALine_FirstComponentAlongIt()
    {
        // x = m + t·u with u = (1, 2, 2)/3 and t = −2..2: sample variance of t is 10/4 = 2.5.
        double[] u = [1 / 3.0, 2 / 3.0, 2 / 3.0];
        double[] m = [5, -1, 0.5];
        var data = new float[5 * 3];
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                data[(i * 3) + j] = (float)(m[j] + ((i - 2) * u[j]));
            }
        }
        PcaResult pca = Pca.Fit(data, 5, 3, 2);
        double[] c0 = pca.Component(0);
        // Largest entries tie (2/3, 2/3); the sign rule makes them positive.
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(u[j], c0[j], 5);
            Assert.Equal(m[j], pca.Mean[j], 5);
        }
        Assert.Equal(2.5, pca.ExplainedVariance[0], 4);
        Assert.Equal(0, pca.ExplainedVariance[1], 5);
        Assert.Equal(1, pca.ExplainedVarianceRatio[0], 5);
        float[] z = pca.Transform(data, 5);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(i - 2, z[i * 2], 4);
            Assert.Equal(0, z[(i * 2) + 1], 4);
        }
    }

    [Fact]
    public void AxisAlignedCross_HandWorked()
    {
        // (±3, 0), (0, ±1): mean 0, variances 18/3 = 6 and 2/3, no covariance.
        float[] data = [3, 0, -3, 0, 0, 1, 0, -1];
        PcaResult pca = Pca.Fit(data, 4, 2, 2);
        Assert.Equal(6, pca.ExplainedVariance[0], 10);
        Assert.Equal(2 / 3.0, pca.ExplainedVariance[1], 10);
        Assert.Equal(6 + (2 / 3.0), pca.TotalVariance, 10);
        Assert.Equal(0.9, pca.ExplainedVarianceRatio[0], 10);
        Assert.Equal([1.0, 0.0], pca.Component(0));
        Assert.Equal([0.0, 1.0], pca.Component(1));
        Assert.Equal([3f, 0f, -3f, 0f, 0f, 1f, 0f, -1f], Pca.FitTransform(data, 4, 2));
    }

    [Theory]
    [InlineData(200, 12)] // Jacobi path
    [InlineData(300, 100)] // subspace-iteration path
    public void RandomData_ComponentsAreOrthonormalEigenvectorsOfTheCovariance(int n, int d)
    {
        const int k = 4;
        var rng = new Prng(7);
        var data = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                // Anisotropic: feature j has scale 1 + j/3, plus a correlated pair.
                data[(i * d) + j] = (float)(rng.NextNormal() * (j < 12 ? 1 + (j / 3.0) : 0.5));
            }
            data[(i * d) + 1] += data[(i * d) + 11];
        }
        PcaResult pca = Pca.Fit(data, n, d, k);

        // Independent covariance by a plain double loop.
        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                mean[j] += data[(i * d) + j] / (double)n;
            }
        }
        var cov = new double[d, d];
        for (int i = 0; i < n; i++)
        {
            for (int a = 0; a < d; a++)
            {
                for (int b = 0; b < d; b++)
                {
                    cov[a, b] += (data[(i * d) + a] - mean[a]) * (data[(i * d) + b] - mean[b]) / (n - 1);
                }
            }
        }
        double trace = 0;
        for (int a = 0; a < d; a++)
        {
            trace += cov[a, a];
        }
        // The code sums blocks of 256 rows in float (GEMM) before accumulating in double: allow 1e-6 relative.
        Assert.Equal(trace, pca.TotalVariance, trace * 1e-6);
        for (int c = 0; c < k; c++)
        {
            double[] v = pca.Component(c);
            double lambda = pca.ExplainedVariance[c];
            for (int a = 0; a < d; a++)
            {
                double cv = 0;
                for (int b = 0; b < d; b++)
                {
                    cv += cov[a, b] * v[b];
                }
                Assert.Equal(lambda * v[a], cv, 1e-5 * pca.ExplainedVariance[0]);
            }
            for (int c2 = 0; c2 < k; c2++)
            {
                double dot = 0;
                double[] w = pca.Component(c2);
                for (int a = 0; a < d; a++)
                {
                    dot += v[a] * w[a];
                }
                Assert.Equal(c == c2 ? 1 : 0, dot, 9);
            }
            if (c > 0)
            {
                Assert.True(pca.ExplainedVariance[c - 1] >= lambda);
            }
        }
        // The top eigenvalue bounds every Rayleigh quotient, e.g. of each coordinate axis.
        for (int a = 0; a < d; a++)
        {
            Assert.True(cov[a, a] <= pca.ExplainedVariance[0] + 1e-9);
        }
    }

    [Fact]
    public void HighDimensionalLine_SubspacePathFindsIt()
    {
        // 80-D points on a line along e₅ + e₇₀ (normalised), t = 0..9: variance of t is 55/6.
        const int n = 10, d = 80;
        var data = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            data[(i * d) + 5] = (float)(i / Math.Sqrt(2));
            data[(i * d) + 70] = (float)(i / Math.Sqrt(2));
        }
        PcaResult pca = Pca.Fit(data, n, d, 2);
        double[] c0 = pca.Component(0);
        Assert.Equal(1 / Math.Sqrt(2), c0[5], 5);
        Assert.Equal(1 / Math.Sqrt(2), c0[70], 5);
        Assert.Equal(55 / 6.0, pca.ExplainedVariance[0], 3);
        Assert.Equal(0, pca.ExplainedVariance[1], 4);
    }

    [Fact]
    public void SinglePointAndBadArguments()
    {
        PcaResult one = Pca.Fit([1f, 2f], 1, 2, 2);
        Assert.Equal(0, one.ExplainedVariance[0]);
        Assert.Equal(0, one.ExplainedVarianceRatio[0]);
        Assert.Equal([0f, 0f], one.Transform([1f, 2f], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit([1f, 2f], 1, 2, 3));
        Assert.Throws<ArgumentException>(() => Pca.Fit([1f, 2f, 3f], 1, 2));
        Assert.Throws<ArgumentException>(() => Pca.Fit([1f, float.NaN], 1, 2));
        Assert.Throws<ArgumentException>(() => one.Transform([1f], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => one.Component(2));
    }
}
