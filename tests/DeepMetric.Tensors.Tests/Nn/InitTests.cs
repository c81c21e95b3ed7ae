using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Nn;

public sealed class InitTests
{
    private static (double Mean, double Std, double MaxAbs) Stats(Tensor t)
    {
        double sum = 0, sq = 0, maxAbs = 0;
        foreach (float v in t.ReadOnlySpan)
        {
            sum += v;
            sq += (double)v * v;
            maxAbs = Math.Max(maxAbs, Math.Abs(v));
        }
        double mean = sum / t.Size;
        return (mean, Math.Sqrt((sq / t.Size) - (mean * mean)), maxAbs);
    }

    [Fact]
    public void FansFollowPyTorchConvention()
    {
        Assert.Equal((7, 5), Init.ComputeFans(Tensor.Zeros(5, 7)));
        Assert.Equal((4 * 9, 8 * 9), Init.ComputeFans(Tensor.Zeros(8, 4, 3, 3)));
        var ex = Assert.Throws<ArgumentException>(() => Init.ComputeFans(Tensor.Zeros(5)));
        Assert.Contains("[5]", ex.Message);
    }

    [Fact]
    public void GainsMatchTheFormulas()
    {
        Assert.Equal(1.0, Init.Gain(Nonlinearity.Linear));
        Assert.Equal(1.0, Init.Gain(Nonlinearity.Sigmoid));
        Assert.Equal(5.0 / 3.0, Init.Gain(Nonlinearity.Tanh), 12);
        Assert.Equal(Math.Sqrt(2), Init.Gain(Nonlinearity.Relu), 12);
        Assert.Equal(Math.Sqrt(2.0 / 1.04), Init.Gain(Nonlinearity.LeakyRelu, 0.2), 12);
        // a = √5 gives gain √(1/3), so the Kaiming-uniform bound becomes 1/√fan_in.
        Assert.Equal(Math.Sqrt(1.0 / 3.0), Init.Gain(Nonlinearity.LeakyRelu, Math.Sqrt(5)), 12);
    }

    [Fact]
    public void KaimingUniformHasTheRightSpread()
    {
        var t = Init.KaimingUniform(Tensor.Zeros(600, 500), new Prng(1), nonlinearity: Nonlinearity.Relu);
        double bound = Math.Sqrt(2) * Math.Sqrt(3.0 / 500);
        var (mean, std, maxAbs) = Stats(t);
        Assert.True(maxAbs <= bound, $"max |w| {maxAbs} exceeds bound {bound}");
        Assert.True(maxAbs > 0.99 * bound, "samples should reach close to the bound");
        Assert.InRange(mean, -0.005 * bound, 0.005 * bound);
        Assertions.Close(bound / Math.Sqrt(3), std, 0, 0.01, "std");
    }

    [Fact]
    public void KaimingNormalFanOutHasTheRightStd()
    {
        var t = Init.KaimingNormal(Tensor.Zeros(40, 30, 3, 3), new Prng(2), mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu);
        var (mean, std, _) = Stats(t);
        double expected = Math.Sqrt(2) / Math.Sqrt(40 * 9);
        Assert.InRange(mean, -0.02 * expected, 0.02 * expected);
        Assertions.Close(expected, std, 0, 0.02, "std");
    }

    [Fact]
    public void XavierUniformAndNormalHaveTheRightSpread()
    {
        var u = Init.XavierUniform(Tensor.Zeros(700, 300), new Prng(3), gain: 2);
        double bound = 2 * Math.Sqrt(6.0 / 1000);
        var (mu, su, maxU) = Stats(u);
        Assert.True(maxU <= bound);
        Assert.InRange(mu, -0.005 * bound, 0.005 * bound);
        Assertions.Close(bound / Math.Sqrt(3), su, 0, 0.01, "uniform std");

        var n = Init.XavierNormal(Tensor.Zeros(700, 300), new Prng(4));
        double expected = Math.Sqrt(2.0 / 1000);
        var (mn, sn, _) = Stats(n);
        Assert.InRange(mn, -0.01 * expected, 0.01 * expected);
        Assertions.Close(expected, sn, 0, 0.01, "normal std");
    }

    [Fact]
    public void SameSeedGivesSameValuesAndDifferentSeedsDiffer()
    {
        var a = Init.KaimingNormal(Tensor.Zeros(20, 10), new Prng(42)).ToArray();
        var b = Init.KaimingNormal(Tensor.Zeros(20, 10), new Prng(42)).ToArray();
        var c = Init.KaimingNormal(Tensor.Zeros(20, 10), new Prng(43)).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void ConstantsAndArgumentChecks()
    {
        Assert.All(Init.Ones(Tensor.Zeros(3, 2)).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(Init.Zeros(Tensor.Ones(4)).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Init.Constant(Tensor.Zeros(4), 2.5f).ToArray(), v => Assert.Equal(2.5f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => Init.Uniform(Tensor.Zeros(2), new Prng(1), 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Init.Normal(Tensor.Zeros(2), new Prng(1), 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Init.Normal(Tensor.Zeros(2), new Prng(1), double.NaN, 1));
        Assert.Throws<ArgumentNullException>(() => Init.Uniform(Tensor.Zeros(2), null!, 0, 1));
        Assert.Throws<ArgumentException>(() => Init.KaimingUniform(Tensor.Zeros(3, 0), new Prng(1)));
    }
}
