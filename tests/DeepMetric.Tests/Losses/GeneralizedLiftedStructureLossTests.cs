using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class GeneralizedLiftedStructureLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 1];

    /// <summary>Per anchor softplus(log Σ_P exp(x_ip − m⁺) + log Σ_N exp(m⁻ − x_in)), x a distance; mean over anchors with both.</summary>
    private static double Expected(double[,] x, int[] labels, int[] refLabels, bool sameSet, double posMargin, double negMargin)
    {
        List<double> values = [];
        for (int i = 0; i < labels.Length; i++)
        {
            List<double> p = [], n = [];
            for (int j = 0; j < refLabels.Length; j++)
            {
                if (sameSet && i == j)
                {
                    continue;
                }
                if (labels[i] == refLabels[j])
                {
                    p.Add(x[i, j] - posMargin);
                }
                else
                {
                    n.Add(negMargin - x[i, j]);
                }
            }
            if (p.Count > 0 && n.Count > 0)
            {
                values.Add(Reference.Softplus(Reference.LogSumExp(p) + Reference.LogSumExp(n)));
            }
        }
        return values.Count == 0 ? 0 : values.Average();
    }

    [Theory]
    [InlineData(1UL, 0f, 1f)]
    [InlineData(2UL, 0.2f, 1.4f)]
    public void Value_MatchesFormula(ulong seed, float posMargin, float negMargin)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var d = Reference.Euclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4, normalize: true);
        var loss = new GeneralizedLiftedStructureLoss(posMargin, negMargin, smooth: true).Compute(e, Labels);
        Assert.Equal(Expected(d, Labels, Labels, true, posMargin, negMargin), loss.Item(), 4);
    }

    [Fact]
    public void WithCosineSimilarity_FlipsTheExponents()
    {
        var e = Fixtures.RandomEmbeddings(3, Labels.Length, 3);
        var s = Reference.Similarities(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 3, normalize: true);
        List<double> values = [];
        for (int i = 0; i < Labels.Length; i++)
        {
            List<double> p = [], n = [];
            for (int j = 0; j < Labels.Length; j++)
            {
                if (i != j)
                {
                    (Labels[i] == Labels[j] ? p : n).Add(Labels[i] == Labels[j] ? 0.8 - s[i, j] : s[i, j] - 0.1);
                }
            }
            if (p.Count > 0 && n.Count > 0)
            {
                values.Add(Reference.Softplus(Reference.LogSumExp(p) + Reference.LogSumExp(n)));
            }
        }
        var loss = new GeneralizedLiftedStructureLoss(0.8f, 0.1f, new CosineSimilarity(), smooth: true).Compute(e, Labels);
        Assert.Equal(values.Average(), loss.Item(), 4);
    }

    [Fact]
    public void SeparateReferenceSet_ComparesAgainstIt()
    {
        var e = Fixtures.RandomEmbeddings(4, 3, 3);
        var r = Fixtures.RandomEmbeddings(5, 4, 3);
        int[] labels = [0, 1, 2], refLabels = [0, 1, 1, 3];
        var d = Reference.Euclidean(e.ToArray(), 3, r.ToArray(), 4, 3, normalize: true);
        var loss = new GeneralizedLiftedStructureLoss(smooth: true).Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        Assert.Equal(Expected(d, labels, refLabels, false, 0, 1), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new GeneralizedLiftedStructureLoss(0.1f, 1.2f, smooth: true);
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 1, 2, 2]), [GradCheck.Random(6, [6, 3])]);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 5, 5, 5 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new GeneralizedLiftedStructureLoss(smooth: true), labels, seed: 7);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new GeneralizedLiftedStructureLoss(smooth: true), LossAssert.FourEqualRows(), [0, 0, 1, 1]);
        // d = 0: one positive gives log e⁰ = 0, two negatives give log(2e¹) = 1 + ln 2.
        Assert.Equal(Reference.Softplus(1 + Math.Log(2)), loss, 4);
    }

    [Fact]
    public void BadMargins_AreRejected()
    {
        Assert.Equal("posMargin", Assert.Throws<ArgumentOutOfRangeException>(() => new GeneralizedLiftedStructureLoss(float.NaN)).ParamName);
        Assert.Equal("negMargin", Assert.Throws<ArgumentOutOfRangeException>(() => new GeneralizedLiftedStructureLoss(0f, float.PositiveInfinity)).ParamName);
    }
}
