using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class CircleLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 1];

    /// <summary>Per-anchor circle loss values (anchors with both a positive and a negative), in log-sum-exp form.</summary>
    private static List<double> Values(double[,] s, int[] labels, int[] refLabels, bool sameSet, double m, double gamma)
    {
        List<double> values = [];
        for (int i = 0; i < labels.Length; i++)
        {
            List<double> p = [], n = [];
            for (int k = 0; k < refLabels.Length; k++)
            {
                if (sameSet && i == k)
                {
                    continue;
                }
                double x = s[i, k];
                if (labels[i] == refLabels[k])
                {
                    p.Add(-gamma * Math.Max(0, 1 + m - x) * (x - (1 - m)));
                }
                else
                {
                    n.Add(gamma * Math.Max(0, x + m) * (x - m));
                }
            }
            if (p.Count > 0 && n.Count > 0)
            {
                values.Add(Reference.Softplus(Reference.LogSumExp(p) + Reference.LogSumExp(n)));
            }
        }
        return values;
    }

    [Theory]
    [InlineData(1UL, 0.4f, 80f)]
    [InlineData(2UL, 0.25f, 10f)]
    [InlineData(3UL, 0.4f, 256f)]
    public void Value_MatchesPaperFormula(ulong seed, float m, float gamma)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var s = Reference.Similarities(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4, normalize: true);
        var loss = new CircleLoss(m, gamma, reducer: new MeanReducer()).Compute(e, Labels);
        double expected = Values(s, Labels, Labels, true, m, gamma).Average();
        Assert.Equal(expected, loss.Item(), 1e-4 * Math.Max(1, expected));
    }

    [Fact]
    public void DefaultReducer_AveragesNonZero()
    {
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 4);
        var s = Reference.Similarities(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4, normalize: true);
        Assert.Equal(Reference.AvgNonZero(Values(s, Labels, Labels, true, 0.4, 80)), new CircleLoss().Compute(e, Labels).Item(), 3);
    }

    [Fact]
    public void SeparateReferenceSet_ComparesAgainstIt()
    {
        var e = Fixtures.RandomEmbeddings(5, 3, 3);
        var r = Fixtures.RandomEmbeddings(6, 4, 3);
        int[] labels = [0, 1, 2], refLabels = [0, 1, 1, 3];
        var s = Reference.Similarities(e.ToArray(), 3, r.ToArray(), 4, 3, normalize: true);
        var loss = new CircleLoss(0.3f, 16f, reducer: new MeanReducer()).Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        Assert.Equal(Values(s, labels, refLabels, false, 0.3, 16).Average(), loss.Item(), 4);
    }

    [Fact]
    public void WithDistance_UsesNegatedDistance()
    {
        var e = Fixtures.RandomEmbeddings(7, Labels.Length, 3);
        var d = Reference.Euclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 3, normalize: true);
        var s = new double[Labels.Length, Labels.Length];
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                s[i, j] = -d[i, j];
            }
        }
        var loss = new CircleLoss(0.4f, 4f, new LpDistance(), new MeanReducer()).Compute(e, Labels);
        Assert.Equal(Values(s, Labels, Labels, true, 0.4, 4).Average(), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences_WithDetachedWeights()
    {
        // Finite differences of the loss would also move the detached α, so compare against the paper's gradient:
        // w = ∂L/∂s with α held constant, pushed through the cosine similarity by finite differences of Σ w·s.
        var x = GradCheck.Random(8, [4, 3]);
        x.RequiresGrad = true;
        int[] labels = [0, 0, 1, 1];
        const float m = 0.25f, gamma = 2f;
        var loss = new CircleLoss(m, gamma, reducer: new SumReducer()).Compute(x, labels);
        loss.Backward();
        var analytic = x.Grad!.ToArray();
        var s = Reference.Similarities(x.ToArray(), 4, x.ToArray(), 4, 3, normalize: true);
        var w = new double[4, 4];
        for (int i = 0; i < 4; i++)
        {
            List<(int K, double Z)> p = [], n = [];
            for (int k = 0; k < 4; k++)
            {
                if (k == i)
                {
                    continue;
                }
                if (labels[i] == labels[k])
                {
                    p.Add((k, -gamma * Math.Max(0, 1 + m - s[i, k]) * (s[i, k] - (1 - m))));
                }
                else
                {
                    n.Add((k, gamma * Math.Max(0, s[i, k] + m) * (s[i, k] - m)));
                }
            }
            double lp = Reference.LogSumExp(p.Select(t => t.Z)), ln = Reference.LogSumExp(n.Select(t => t.Z));
            double sig = 1 / (1 + Math.Exp(-(lp + ln)));
            foreach (var (k, z) in p)
            {
                w[i, k] = sig * Math.Exp(z - lp) * -gamma * Math.Max(0, 1 + m - s[i, k]);
            }
            foreach (var (k, z) in n)
            {
                w[i, k] = sig * Math.Exp(z - ln) * gamma * Math.Max(0, s[i, k] + m);
            }
        }
        var xs = x.ToArray();
        const double h = 1e-4;
        for (int t = 0; t < xs.Length; t++)
        {
            var plus = (float[])xs.Clone();
            var minus = (float[])xs.Clone();
            plus[t] += (float)h;
            minus[t] -= (float)h;
            double dp = Surrogate(plus, w), dm = Surrogate(minus, w);
            double numeric = (dp - dm) / ((double)plus[t] - minus[t]);
            Assert.Equal(numeric, analytic[t], 2e-3);
        }
    }

    private static double Surrogate(float[] x, double[,] w)
    {
        var s = Reference.Similarities(x, 4, x, 4, 3, normalize: true);
        double total = 0;
        for (int i = 0; i < 4; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                total += w[i, k] * s[i, k];
            }
        }
        return total;
    }

    [Fact]
    public void HugeGamma_DoesNotOverflow()
    {
        var e = Fixtures.RandomEmbeddings(9, 6, 3);
        var loss = new CircleLoss(0.4f, 256f).Compute(e, [0, 1, 0, 1, 2, 2]);
        Assert.True(float.IsFinite(loss.Item()));
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 5, 5, 5 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new CircleLoss(), labels, seed: 10);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new CircleLoss(0.4f, 80f, reducer: new MeanReducer()), LossAssert.FourEqualRows(), [0, 0, 1, 1]);
        // s = 1 everywhere: one positive logit −80·0.4·0.4 and two negative logits 80·1.4·0.6 per anchor.
        Assert.Equal(Reference.Softplus((-80 * 0.4 * 0.4) + (80 * 1.4 * 0.6) + Math.Log(2)), loss, 3);
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => new CircleLoss(float.NaN)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new CircleLoss(0.4f, -1f)).ParamName);
    }
}
