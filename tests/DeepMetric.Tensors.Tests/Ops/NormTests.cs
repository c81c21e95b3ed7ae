using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class NormTests
{
    // Per-channel mean and biased variance in double, over [N, C, S] laid out row-major.
    private static (double[] Mean, double[] Var) Stats(float[] x, int n, int c, int s)
    {
        var mean = new double[c];
        var variance = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < s; k++)
                {
                    mean[ch] += x[(((i * c) + ch) * s) + k];
                }
            }
            mean[ch] /= n * s;
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < s; k++)
                {
                    double d = x[(((i * c) + ch) * s) + k] - mean[ch];
                    variance[ch] += d * d;
                }
            }
            variance[ch] /= n * s;
        }
        return (mean, variance);
    }

    [Theory]
    [InlineData(new[] { 5, 3 })]
    [InlineData(new[] { 2, 3, 4, 5 })]
    public void BatchNormTrainingNormalisesAndUpdatesRunningStats(int[] shape)
    {
        int n = shape[0], c = shape[1], s = shape.Length == 4 ? shape[2] * shape[3] : 1;
        var x = GradCheck.Random(1, shape, -2f, 3f);
        var gamma = GradCheck.Random(2, [c], 0.5f, 1.5f);
        var beta = GradCheck.Random(3, [c]);
        var rm = Tensor.FromArray([0.5f, -1f, 2f], 3);
        var rv = Tensor.FromArray([1f, 2f, 0.5f], 3);
        var y = Ops.BatchNorm(x, gamma, beta, rm, rv, training: true, momentum: 0.2f, eps: 1e-5f);

        var xs = x.ToArray();
        var (mean, variance) = Stats(xs, n, c, s);
        var expected = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            int ch = (i / s) % c;
            expected[i] = ((xs[i] - mean[ch]) / Math.Sqrt(variance[ch] + 1e-5) * gamma[ch]) + beta[ch];
        }
        Assertions.AllClose(expected, y.ToArray(), 1e-5, 1e-4);
        double m = n * s;
        double[] oldMean = [0.5, -1, 2], oldVar = [1, 2, 0.5];
        for (int ch = 0; ch < c; ch++)
        {
            Assertions.Close((0.8 * oldMean[ch]) + (0.2 * mean[ch]), rm[ch], 1e-6, 1e-5);
            // Running variance uses the unbiased estimate (÷(M−1)).
            Assertions.Close((0.8 * oldVar[ch]) + (0.2 * variance[ch] * m / (m - 1)), rv[ch], 1e-6, 1e-5);
        }
    }

    [Fact]
    public void BatchNormRunningStatsByHand()
    {
        // One channel, values 1, 2, 3, 6: mean 3, biased variance 3.5, unbiased 14/3.
        var x = Tensor.FromArray([1, 2, 3, 6], 4, 1);
        var rm = Tensor.FromArray([0f], 1);
        var rv = Tensor.FromArray([1f], 1);
        Ops.BatchNorm(x, null, null, rm, rv, training: true, momentum: 0.1f);
        Assertions.Close(0.3, rm[0], 1e-7);
        Assertions.Close((0.9 * 1) + (0.1 * 14.0 / 3.0), rv[0], 1e-6);
    }

    [Fact]
    public void BatchNormEvalUsesRunningStatsAndLeavesThem()
    {
        var x = GradCheck.Random(4, [3, 2, 2, 2]);
        var gamma = Tensor.FromArray([2f, -1f], 2);
        var beta = Tensor.FromArray([0.5f, 0f], 2);
        var rm = Tensor.FromArray([0.1f, -0.2f], 2);
        var rv = Tensor.FromArray([0.25f, 4f], 2);
        var y = Ops.BatchNorm(x, gamma, beta, rm, rv, training: false, eps: 0f);
        var xs = x.ToArray();
        var expected = new double[xs.Length];
        double[] mu = [0.1, -0.2], sd = [0.5, 2], g = [2, -1], b = [0.5, 0];
        for (int i = 0; i < xs.Length; i++)
        {
            int ch = (i / 4) % 2;
            expected[i] = ((xs[i] - mu[ch]) / sd[ch] * g[ch]) + b[ch];
        }
        Assertions.AllClose(expected, y.ToArray());
        Assertions.AllClose([0.1f, -0.2f], rm.ToArray(), 0, 0);
        Assertions.AllClose([0.25f, 4f], rv.ToArray(), 0, 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNormGradients(bool training)
    {
        var x = GradCheck.Random(5, [3, 2, 2, 3], -1f, 2f);
        var gamma = GradCheck.Random(6, [2], 0.5f, 1.5f);
        var beta = GradCheck.Random(7, [2]);
        // Running stats reset per call so finite differences see the same function.
        GradCheck.Check(t => Ops.BatchNorm(t[0], t[1], t[2], Tensor.Zeros(2), Tensor.Full(0.7f, 2), training), [x, gamma, beta]);
        var x2 = GradCheck.Random(8, [4, 3], -1f, 2f);
        GradCheck.Check(t => Ops.BatchNorm(t[0], null, null, Tensor.Zeros(3), Tensor.Ones(3), training), [x2]);
    }

    [Fact]
    public void BatchNormBadArguments()
    {
        var rm = Tensor.Zeros(3);
        var rv = Tensor.Ones(3);
        Assert.Contains("[N, C]", Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(2, 3, 4), null, null, rm, rv, true)).Message);
        Assert.Contains("runningMean", Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(2, 4), null, null, rm, Tensor.Ones(4), true)).Message);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(2, 3), Tensor.Ones(2), null, rm, rv, true)).Message);
        Assert.Contains("more than one value", Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(1, 3), null, null, rm, rv, true)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.BatchNorm(Tensor.Zeros(2, 3), null, null, rm, rv, true, momentum: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.BatchNorm(Tensor.Zeros(2, 3), null, null, rm, rv, true, eps: -1f));
        // A single sample is fine in evaluation.
        Assert.Equal([1, 3], Ops.BatchNorm(Tensor.Zeros(1, 3), null, null, rm, rv, false).Shape);
    }

    [Fact]
    public void LayerNormMatchesReference()
    {
        var x = GradCheck.Random(9, [2, 3, 5], -2f, 2f);
        var gamma = GradCheck.Random(10, [5], 0.5f, 1.5f);
        var beta = GradCheck.Random(11, [5]);
        var y = Ops.LayerNorm(x, gamma, beta, 1e-5f);
        var xs = x.ToArray();
        var expected = new double[xs.Length];
        for (int r = 0; r < 6; r++)
        {
            double mu = 0, v = 0;
            for (int i = 0; i < 5; i++)
            {
                mu += xs[(r * 5) + i] / 5.0;
            }
            for (int i = 0; i < 5; i++)
            {
                v += Math.Pow(xs[(r * 5) + i] - mu, 2) / 5.0;
            }
            for (int i = 0; i < 5; i++)
            {
                expected[(r * 5) + i] = ((xs[(r * 5) + i] - mu) / Math.Sqrt(v + 1e-5) * gamma[i]) + beta[i];
            }
        }
        Assertions.AllClose(expected, y.ToArray(), 1e-5, 1e-4);
    }

    [Fact]
    public void LayerNormGradients()
    {
        var x = GradCheck.Random(12, [3, 6], -1f, 2f);
        GradCheck.Check(t => Ops.LayerNorm(t[0], t[1], t[2]), [x, GradCheck.Random(13, [6], 0.5f, 1.5f), GradCheck.Random(14, [6])]);
        GradCheck.Check(t => Ops.LayerNorm(t[0], null, null), [GradCheck.Random(15, [2, 2, 4])]);
        GradCheck.Check(t => Ops.LayerNorm(t[0], t[1], null), [GradCheck.Random(16, [5]), GradCheck.Random(17, [5])]);
    }

    [Fact]
    public void LayerNormOfAConstantRowIsBiasWithFiniteGradient()
    {
        var x = Tensor.Full(3f, 2, 4);
        x.RequiresGrad = true;
        var beta = Tensor.FromArray([1f, 2, 3, 4], 4);
        var y = Ops.LayerNorm(x, null, beta);
        Assertions.AllClose([1f, 2, 3, 4, 1, 2, 3, 4], y.ToArray());
        Ops.Sum(y * y).Backward();
        Assertions.AllFinite(x.Grad!.ToArray());
    }

    [Fact]
    public void LayerNormBadArguments()
    {
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => Ops.LayerNorm(Tensor.Zeros(2, 3), Tensor.Ones(4), null)).Message);
        Assert.Contains("last dimension", Assert.Throws<ArgumentException>(() => Ops.LayerNorm(Tensor.Scalar(1f), null, null)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.LayerNorm(Tensor.Zeros(2, 3), null, null, float.NaN));
    }
}
