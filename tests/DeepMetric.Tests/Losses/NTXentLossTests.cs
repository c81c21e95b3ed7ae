using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class NTXentLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 1];

    /// <summary>Per-positive-pair InfoNCE values in log-sum-exp form.</summary>
    private static List<double> Values(double[,] s, int[] labels, int[] refLabels, bool sameSet, double tau)
    {
        List<double> values = [];
        for (int a = 0; a < labels.Length; a++)
        {
            for (int p = 0; p < refLabels.Length; p++)
            {
                if ((sameSet && p == a) || refLabels[p] != labels[a])
                {
                    continue;
                }
                List<double> z = [s[a, p] / tau];
                for (int n = 0; n < refLabels.Length; n++)
                {
                    if (refLabels[n] != labels[a])
                    {
                        z.Add(s[a, n] / tau);
                    }
                }
                values.Add(Reference.LogSumExp(z) - (s[a, p] / tau));
            }
        }
        return values;
    }

    [Theory]
    [InlineData(1UL, 0.07f)]
    [InlineData(2UL, 0.5f)]
    [InlineData(3UL, 0.01f)]
    public void Value_MatchesPaperFormula(ulong seed, float tau)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var s = Reference.Similarities(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4, normalize: true);
        var loss = new NTXentLoss(tau).Compute(e, Labels);
        double expected = Values(s, Labels, Labels, true, tau).Average();
        Assert.Equal(expected, loss.Item(), 1e-4 * Math.Max(1, expected));
    }

    [Fact]
    public void PlainExponentials_AgreeAtModerateTemperature()
    {
        // The formula exactly as written: −log(e^{s_ap/τ} / (e^{s_ap/τ} + Σ e^{s_an/τ})).
        var e = Fixtures.RandomEmbeddings(4, 4, 3);
        var s = Reference.Similarities(e.ToArray(), 4, e.ToArray(), 4, 3, normalize: true);
        double Pair(int a, int p)
        {
            int n0 = a < 2 ? 2 : 0;   // the two samples of the other class
            double ep = Math.Exp(s[a, p] / 0.5);
            return -Math.Log(ep / (ep + Math.Exp(s[a, n0] / 0.5) + Math.Exp(s[a, n0 + 1] / 0.5)));
        }
        double expected = (Pair(0, 1) + Pair(1, 0) + Pair(2, 3) + Pair(3, 2)) / 4;
        Assert.Equal(expected, new NTXentLoss(0.5f).Compute(e, [0, 0, 1, 1]).Item(), 4);
    }

    [Fact]
    public void SeparateReferenceSet_ComparesAgainstIt()
    {
        var e = Fixtures.RandomEmbeddings(5, 3, 3);
        var r = Fixtures.RandomEmbeddings(6, 4, 3);
        int[] labels = [0, 1, 2], refLabels = [0, 1, 1, 3];
        var s = Reference.Similarities(e.ToArray(), 3, r.ToArray(), 4, 3, normalize: true);
        var loss = new NTXentLoss(0.2f).Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        Assert.Equal(Values(s, labels, refLabels, false, 0.2).Average(), loss.Item(), 4);
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
        Assert.Equal(Values(s, Labels, Labels, true, 0.3).Average(), new NTXentLoss(0.3f, new LpDistance()).Compute(e, Labels).Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new NTXentLoss(0.5f);
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 1, 2, 2]), [GradCheck.Random(8, [6, 3])]);
    }

    [Fact]
    public void TinyTemperature_DoesNotOverflow()
    {
        var e = Fixtures.RandomEmbeddings(9, 6, 3);
        var loss = new NTXentLoss(0.01f).Compute(e, [0, 1, 0, 1, 2, 2]);
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
        LossAssert.NothingToLearn(new NTXentLoss(), labels, seed: 10);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new NTXentLoss(), LossAssert.FourEqualRows(), [0, 0, 1, 1]);
        Assert.Equal(Math.Log(3), loss, 4);
    }

    [Fact]
    public void MinedPairs_AreUsedExactly()
    {
        var e = Fixtures.RandomEmbeddings(11, 4, 3);
        var s = Reference.Similarities(e.ToArray(), 4, e.ToArray(), 4, 3, normalize: true);
        // Positive (0, 1) against the mined negative (0, 2) only; (3, 2) is a positive pair of an anchor without negatives.
        var pairs = new PairTuples([0, 3], [1, 2], [0], [2]);
        var loss = new NTXentLoss(0.5f, reducer: new SumReducer()).Compute(e, [0, 0, 1, 1], pairs);
        Assert.Equal(Reference.Softplus((s[0, 2] - s[0, 1]) / 0.5), loss.Item(), 4);
    }

    [Fact]
    public void BadTemperature_IsRejected()
    {
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new NTXentLoss(float.NaN)).ParamName);
    }
}
