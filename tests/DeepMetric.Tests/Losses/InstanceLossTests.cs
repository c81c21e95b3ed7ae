using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class InstanceLossTests
{
    private static double Expected(float[] e, int n, float[] w, int c, int d, int[] labels, double gamma)
    {
        var cos = Reference.Cosine(e, n, w, c, d);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k < c; k++)
            {
                max = Math.Max(max, gamma * cos[i, k]);
            }
            double s = 0;
            for (int k = 0; k < c; k++)
            {
                s += Math.Exp((gamma * cos[i, k]) - max);
            }
            total += max + Math.Log(s) - (gamma * cos[i, labels[i]]);
        }
        return total / n;
    }

    [Theory]
    [InlineData(1UL, 64f)]
    [InlineData(2UL, 4f)]
    public void Value_MatchesDoubleLoop(ulong seed, float gamma)
    {
        int[] labels = [0, 0, 1, 3, 2, 0];
        var e = Fixtures.RandomEmbeddings(seed, labels.Length, 4);
        var loss = new InstanceLoss(5, 4, gamma, seed: seed);
        double expected = Expected(e.ToArray(), 6, loss.Weights.ToArray(), 5, 4, labels, gamma);
        Assert.Equal(expected, loss.Compute(e, labels).Item(), Math.Max(1e-4, expected * 1e-5));
    }

    [Fact]
    public void Weights_AreRegisteredAndTrained()
    {
        var loss = new InstanceLoss(3, 2);
        var p = Assert.Single(loss.NamedParameters());
        Assert.Equal("weights", p.Key);
        Assert.Equal([3, 2], p.Value.Shape);
        var e = Fixtures.RandomEmbeddings(3, 4, 2);
        loss.Compute(e, [0, 1, 2, 1]).Backward();
        Fixtures.AssertFinite(loss.Weights.Grad);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new InstanceLoss(4, 3, gamma: 2f, seed: 7);
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 3, 3, 2]), [GradCheck.Random(3, [5, 3]), loss.Weights]);
    }

    [Fact]
    public void OneSample_AndDuplicates_GiveFiniteGradient()
    {
        var loss = new InstanceLoss(2, 2);
        float value = LossAssert.FiniteGradientOnDuplicates(loss, Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 0f], 3, 2), [0, 1, 1]);
        Assert.True(float.IsFinite(value));
        var one = Fixtures.RandomEmbeddings(4, 1, 2);
        loss.Compute(one, [1]).Backward();
        Fixtures.AssertFinite(one.Grad);
    }

    [Fact]
    public void HugeScale_DoesNotOverflow()
    {
        var loss = new InstanceLoss(10, 4, gamma: 64f);
        var e = Fixtures.RandomEmbeddings(5, 8, 4);
        var value = loss.Compute(e, [0, 1, 2, 3, 4, 5, 6, 7]);
        Assert.True(float.IsFinite(value.Item()));
        value.Backward();
        Fixtures.AssertFinite(e.Grad);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InstanceLoss(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InstanceLoss(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InstanceLoss(2, 2, gamma: 0f));
        var e = Fixtures.RandomEmbeddings(6, 2, 2);
        var ex = Assert.Throws<ArgumentException>(() => new InstanceLoss(2, 2).Compute(e, [0, 2]));
        Assert.Contains("Label 2", ex.Message, StringComparison.Ordinal);
        var ex2 = Assert.Throws<ArgumentException>(() => new InstanceLoss(2, 3).Compute(e, [0, 1]));
        Assert.Contains("dimension", ex2.Message, StringComparison.Ordinal);
    }
}
