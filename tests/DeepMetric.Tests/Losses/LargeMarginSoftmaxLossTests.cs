using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class LargeMarginSoftmaxLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    /// <summary>The papers' ψ via the angle itself.</summary>
    private static double Psi(double c, int m)
    {
        double theta = Math.Acos(Math.Clamp(c, -1, 1));
        int k = Math.Min(m - 1, (int)Math.Floor(theta * m / Math.PI));
        return (k % 2 == 0 ? 1 : -1) * Math.Cos(m * theta) - (2 * k);
    }

    [Theory]
    [InlineData(4, 1f, false)]
    [InlineData(2, 1f, false)]
    [InlineData(4, 2f, true)]
    [InlineData(1, 1f, false)]
    public void Value_MatchesDoubleLoop(int m, float scale, bool normalizeWeights)
    {
        var loss = new LargeMarginSoftmaxLoss(4, 3, m, scale, normalizeWeights, seed: 2);
        var x = Fixtures.RandomEmbeddings(50, Labels.Length, 3);
        var xs = Reference.Rows(x.ToArray(), Labels.Length, 3);
        var ws = Reference.Rows(loss.Weight.ToArray(), 4, 3);
        double expected = 0;
        for (int i = 0; i < Labels.Length; i++)
        {
            double xn = Math.Sqrt(Reference.Dot(xs[i], xs[i]));
            var z = new double[4];
            for (int c = 0; c < 4; c++)
            {
                double wn = normalizeWeights ? 1 : Math.Sqrt(Reference.Dot(ws[c], ws[c]));
                double cos = Reference.Dot(xs[i], ws[c]) / (xn * Math.Sqrt(Reference.Dot(ws[c], ws[c])));
                z[c] = scale * xn * wn * (c == Labels[i] ? Psi(cos, m) : cos);
            }
            expected += ClassifierReference.CrossEntropy(z, Labels[i]) / Labels.Length;
        }
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), expected * 1e-4 + 1e-4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradient_EmbeddingsAndWeights_MatchFiniteDifferences(bool normalizeWeights)
    {
        var loss = new LargeMarginSoftmaxLoss(4, 3, margin: 3, normalizeWeights: normalizeWeights, seed: 7);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(8, [Labels.Length, 3]), loss.Weight]);
    }

    [Fact]
    public void ZeroEmbedding_Duplicates_OneSample_AreFinite()
    {
        var loss = new LargeMarginSoftmaxLoss(3, 2, normalizeWeights: true);
        var x = Tensor.FromArray([1f, 2f, 1f, 2f, 0f, 0f], 3, 2);
        x.RequiresGrad = true;
        loss.Compute(x, [0, 2, 1]).Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Weight.Grad);
        var one = Fixtures.RandomEmbeddings(3, 1, 2);
        loss.Compute(one, [1]).Backward();
        Fixtures.AssertFinite(one.Grad);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LargeMarginSoftmaxLoss(3, 2, margin: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LargeMarginSoftmaxLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 1, 2), [3]));
    }
}
