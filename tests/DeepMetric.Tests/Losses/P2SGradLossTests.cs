using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class P2SGradLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    [Theory]
    [InlineData(1f, new[] { 0, 2, 1, 1, 3, 0 })]
    [InlineData(20f, new[] { 1, 1, 1 })]
    [InlineData(0.01f, new[] { 3 })]
    public void Value_MatchesDoubleLoop(float embeddingScale, int[] labels)
    {
        var loss = new P2SGradLoss(4, 5, seed: 3);
        var x = Tensor.FromArray([.. Fixtures.RandomEmbeddings(17, labels.Length, 5).ToArray().Select(v => v * embeddingScale)], labels.Length, 5);
        var cos = ClassifierReference.Cosines(x.ToArray(), labels.Length, loss.Weight.ToArray(), 4, 5);
        double expected = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            for (int c = 0; c < 4; c++)
            {
                double d = cos[i, c] - (c == labels[i] ? 1 : 0);
                expected += d * d / (labels.Length * 4.0);
            }
        }
        Assert.Equal(expected, loss.Compute(x, labels).Item(), (expected * 1e-4) + 1e-5);
    }

    [Fact]
    public void Gradient_IsThePapersP2SGrad()
    {
        // P2SGrad: ∂ℓᵢ/∂xᵢ = Σ_c (cos θᵢ,c − 1[c = yᵢ]) ∂cos θᵢ,c/∂xᵢ with ∂cos θ/∂x = (ŵ_c − cos θ · x̂)/‖x‖.
        const int c = 4, d = 3;
        var loss = new P2SGradLoss(c, d, seed: 5, halfSum: true);
        var x = Fixtures.RandomEmbeddings(2, Labels.Length, d);
        loss.Compute(x, Labels).Backward();
        var xs = Reference.Rows(x.ToArray(), Labels.Length, d);
        var ws = Reference.Rows(loss.Weight.ToArray(), c, d).Select(Reference.Normalize).ToArray();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < Labels.Length; i++)
        {
            double xn = Math.Sqrt(Reference.Dot(xs[i], xs[i]));
            var xh = Reference.Normalize(xs[i]);
            var expected = new double[d];
            for (int j = 0; j < c; j++)
            {
                double cos = Reference.Dot(xh, ws[j]);
                double coeff = cos - (j == Labels[i] ? 1 : 0);
                for (int k = 0; k < d; k++)
                {
                    expected[k] += coeff * (ws[j][k] - (cos * xh[k])) / xn;
                }
            }
            for (int k = 0; k < d; k++)
            {
                Assert.Equal(expected[k] / Labels.Length, g[(i * d) + k], 4);
            }
        }
    }

    [Fact]
    public void Gradient_Embeddings_MatchFiniteDifferences_AndWeightsAreRenormalised()
    {
        // The weight rows are rescaled to unit norm in place on every call (PML), so finite differences can only
        // probe the embeddings; the weight gradient is compared with PML's in the parity fixture.
        var loss = new P2SGradLoss(4, 3, seed: 7);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(8, [Labels.Length, 3])]);
        var w = loss.Weight.ToArray();
        for (int r = 0; r < 4; r++)
        {
            Assert.Equal(1.0, Math.Sqrt((w[3 * r] * w[3 * r]) + (w[(3 * r) + 1] * w[(3 * r) + 1]) + (w[(3 * r) + 2] * w[(3 * r) + 2])), 5);
        }
    }

    [Fact]
    public void Stress_HugeNorms_ZeroEmbedding_Duplicates_OneSample_AreFinite()
    {
        var loss = new P2SGradLoss(3, 2, seed: 1);
        var x = Tensor.FromArray([1e6f, -1e6f, 1e6f, -1e6f, 0f, 0f], 3, 2);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [0, 0, 2]);
        Assert.True(float.IsFinite(l.Item()));
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Weight.Grad);
        var one = Fixtures.RandomEmbeddings(3, 1, 2);
        loss.Compute(one, [1]).Backward();
        Fixtures.AssertFinite(one.Grad);
        Assert.Equal([1, 3], loss.Cosines(one).Shape);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new P2SGradLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 2, 2), [0, -1]));
        Assert.Contains("[0, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new P2SGradLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 1, 4), [0]));
        Assert.Equal("numClasses", Assert.Throws<ArgumentOutOfRangeException>(() => new P2SGradLoss(0, 2)).ParamName);
    }
}
