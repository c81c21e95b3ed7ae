using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class SphereFaceLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    /// <summary>The paper's ψ via the angle itself.</summary>
    private static double Psi(double c, int m)
    {
        double theta = Math.Acos(Math.Clamp(c, -1, 1));
        int k = Math.Min(m - 1, (int)Math.Floor(theta * m / Math.PI));
        return ((k % 2 == 0 ? 1 : -1) * Math.Cos(m * theta)) - (2 * k);
    }

    [Theory]
    [InlineData(4, 1f, 1f)]
    [InlineData(2, 1f, 3f)]
    [InlineData(3, 2f, 0.5f)]
    [InlineData(1, 1f, 1f)]
    public void Value_MatchesDoubleLoop(int m, float scale, float embeddingScale)
    {
        var loss = new SphereFaceLoss(4, 3, m, scale, seed: 2);
        var x = Tensor.FromArray([.. Fixtures.RandomEmbeddings(50, Labels.Length, 3).ToArray().Select(v => v * embeddingScale)], Labels.Length, 3);
        var xs = Reference.Rows(x.ToArray(), Labels.Length, 3);
        var cos = ClassifierReference.Cosines(x.ToArray(), Labels.Length, loss.Weight.ToArray(), 4, 3);
        double expected = 0;
        for (int i = 0; i < Labels.Length; i++)
        {
            double xn = Math.Sqrt(Reference.Dot(xs[i], xs[i]));
            var z = new double[4];
            for (int c = 0; c < 4; c++)
            {
                z[c] = scale * xn * (c == Labels[i] ? Psi(cos[i, c], m) : cos[i, c]);
            }
            expected += ClassifierReference.CrossEntropy(z, Labels[i]) / Labels.Length;
        }
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), (expected * 1e-4) + 1e-4);
    }

    [Fact]
    public void Equals_LargeMarginSoftmaxWithNormalisedWeights()
    {
        var sphere = new SphereFaceLoss(4, 3, seed: 9);
        var lsoftmax = new LargeMarginSoftmaxLoss(4, 3, normalizeWeights: true, seed: 9);
        Assert.Equal(4, sphere.Margin);
        Assert.Equal(1f, sphere.Scale);
        Assert.Equal(lsoftmax.Weight.ToArray(), sphere.Weight.ToArray());
        var x = Fixtures.RandomEmbeddings(6, Labels.Length, 3);
        Assert.Equal(lsoftmax.Compute(x, Labels).Item(), sphere.Compute(x, Labels).Item());
        Assert.Equal(["weight"], sphere.NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void Gradient_EmbeddingsAndWeights_MatchFiniteDifferences()
    {
        var loss = new SphereFaceLoss(4, 3, margin: 3, seed: 7);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(8, [Labels.Length, 3]), loss.Weight]);
    }

    [Fact]
    public void Stress_LargeNormOnWrongClass_ZeroEmbedding_Duplicates_OneSample_AreFinite()
    {
        var loss = new SphereFaceLoss(3, 2, scale: 4f, seed: 1);
        var w = loss.Weight.ToArray();
        // Norm-1000 embeddings on class 2's weight but labelled 0 (logits in the thousands), plus a zero embedding.
        float wn = MathF.Sqrt((w[4] * w[4]) + (w[5] * w[5]));
        float a = 1000f * w[4] / wn, b = 1000f * w[5] / wn;
        var x = Tensor.FromArray([a, b, a, b, 0f, 0f], 3, 2);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [0, 0, 1]);
        Assert.True(float.IsFinite(l.Item()) && l.Item() > 100f, $"loss {l.Item()}");
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Weight.Grad);
        var one = Fixtures.RandomEmbeddings(3, 1, 2);
        loss.Compute(one, [1]).Backward();
        Fixtures.AssertFinite(one.Grad);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => new SphereFaceLoss(3, 2, margin: 0)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => new SphereFaceLoss(3, 2, scale: 0f)).ParamName);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SphereFaceLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 1, 2), [3]));
        Assert.Contains("[0, 3)", ex.Message, StringComparison.Ordinal);
    }
}
