using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class DropoutTests
{
    [Fact]
    public void KeepsTheMeanAndZeroesAboutP()
    {
        var x = Tensor.Ones(200, 100);
        var y = Ops.Dropout(x, 0.3f, training: true, new Prng(1)).ToArray();
        int zeros = 0;
        double sum = 0;
        foreach (float v in y)
        {
            if (v == 0f)
            {
                zeros++;
            }
            else
            {
                Assertions.Close(1.0 / 0.7, v, 1e-6);
            }
            sum += v;
        }
        // 20 000 Bernoulli(0.3) draws: the standard deviation of the fraction is about 0.0032.
        Assert.InRange(zeros / 20000.0, 0.28, 0.32);
        Assert.InRange(sum / 20000.0, 0.96, 1.04);
    }

    [Fact]
    public void SameSeedGivesTheSameMask()
    {
        var x = GradCheck.Random(1, [50, 40]);
        var a = Ops.Dropout(x, 0.5f, true, new Prng(42)).ToArray();
        var b = Ops.Dropout(x, 0.5f, true, new Prng(42)).ToArray();
        var c = Ops.Dropout(x, 0.5f, true, new Prng(43)).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // The mask is the documented rule: drop when NextFloat() < p, in row-major order.
        var rng = new Prng(42);
        var xs = x.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            float expected = rng.NextFloat() < 0.5f ? 0f : xs[i] * 2f;
            Assert.Equal(expected, a[i]);
        }
    }

    [Fact]
    public void EvalAndZeroPAreIdentity()
    {
        var x = GradCheck.Random(2, [3, 4]);
        var rng = new Prng(7);
        var before = rng.GetState();
        Assert.Same(x, Ops.Dropout(x, 0.5f, training: false, rng));
        Assert.Same(x, Ops.Dropout(x, 0f, training: true, rng));
        Assert.Equal(before, rng.GetState());
    }

    [Fact]
    public void GradientUsesTheSameMask()
    {
        var x = GradCheck.Random(3, [4, 5]);
        // A fresh generator per call keeps the mask fixed across finite-difference evaluations.
        GradCheck.Check(t => Ops.Dropout(t[0], 0.4f, true, new Prng(9)), [x]);
        x.Grad = null;
        var y = Ops.Dropout(x, 0.4f, true, new Prng(9));
        Ops.Sum(y).Backward();
        var ys = y.ToArray();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < ys.Length; i++)
        {
            Assert.Equal(ys[i] == 0f ? 0f : 1f / 0.6f, g[i], 1e-6f);
        }
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void PMustBeInUnitInterval(float p)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Dropout(Tensor.Ones(2), p, true, new Prng(1)));
        Assert.Equal("p", ex.ParamName);
    }
}
