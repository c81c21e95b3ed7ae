using DeepMetric.Losses;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class TupletMarginLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    // Paper form with angles: per positive pair, log(1 + Σ_n exp(s(cos θ_an − cos(θ_ap − m)))), mean over pairs.
    private static double Expected(double[,] cos, int[] labels, int[] refLabels, bool sameSet, double mDeg, double s)
    {
        double m = mDeg * Math.PI / 180;
        List<double> losses = [];
        for (int a = 0; a < labels.Length; a++)
        {
            for (int p = 0; p < refLabels.Length; p++)
            {
                if ((sameSet && a == p) || labels[a] != refLabels[p])
                {
                    continue;
                }
                double target = Math.Cos(Math.Acos(cos[a, p]) - m);
                List<double> x = [];
                for (int n = 0; n < refLabels.Length; n++)
                {
                    if (refLabels[n] != labels[a])
                    {
                        x.Add(s * (cos[a, n] - target));
                    }
                }
                losses.Add(Reference.Log1PSumExp(x));
            }
        }
        return losses.Count == 0 ? 0 : losses.Average();
    }

    [Theory]
    [InlineData(1UL, 5.73f, 64f)]
    [InlineData(2UL, 10f, 8f)]
    [InlineData(3UL, 0f, 1f)]
    public void Value_MatchesDoubleLoop(ulong seed, float m, float s)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new TupletMarginLoss(m, s).Compute(e, Labels);
        var cos = Reference.Cosine(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4);
        double expected = Expected(cos, Labels, Labels, true, m, s);
        Assert.Equal(expected, loss.Item(), Math.Max(1e-4, Math.Abs(expected) * 1e-4));
    }

    [Fact]
    public void ImbalancedWithSingleton_AndSeparateReference()
    {
        int[] labels = [0, 0, 0, 1, 2], refLabels = [0, 1, 1, 2, 0];
        var e = Fixtures.RandomEmbeddings(4, labels.Length, 3);
        var r = Fixtures.RandomEmbeddings(5, refLabels.Length, 3);
        var loss = new TupletMarginLoss(scale: 4f);
        var cosSelf = Reference.Cosine(e.ToArray(), 5, e.ToArray(), 5, 3);
        Assert.Equal(Expected(cosSelf, labels, labels, true, 5.73, 4), loss.Compute(e, labels).Item(), 4);
        var cos = Reference.Cosine(e.ToArray(), 5, r.ToArray(), 5, 3);
        Assert.Equal(Expected(cos, labels, refLabels, false, 5.73, 4), loss.Compute(e, labels, refEmbeddings: r, refLabels: refLabels).Item(), 4);
    }

    [Fact]
    public void MinedPairs_UseOnlyMinedNegatives()
    {
        var e = Fixtures.RandomEmbeddings(6, Labels.Length, 4);
        var loss = new TupletMarginLoss(10f, 2f).Compute(e, Labels, new PairTuples([0, 2], [1, 3], [0, 0], [2, 4]));
        var cos = Reference.Cosine(e.ToArray(), 6, e.ToArray(), 6, 4);
        double m = 10 * Math.PI / 180;
        double l0 = Reference.Log1PSumExp([2 * (cos[0, 2] - Math.Cos(Math.Acos(cos[0, 1]) - m)), 2 * (cos[0, 4] - Math.Cos(Math.Acos(cos[0, 1]) - m))]);
        double l2 = 0; // anchor 2 has no mined negative: log(1) = 0
        Assert.Equal((l0 + l2) / 2, loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new TupletMarginLoss(20f, 3f);
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3])]);
    }

    [Fact]
    public void HugeScale_DoesNotOverflow()
    {
        var e = Fixtures.RandomEmbeddings(7, 8, 4);
        int[] labels = [0, 0, 1, 1, 2, 2, 3, 3];
        var loss = new TupletMarginLoss(5.73f, 64f).Compute(e, labels);
        Assert.True(float.IsFinite(loss.Item()));
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new TupletMarginLoss(), labels, seed: 8);
    }

    [Fact]
    public void OneClass_NoNegatives_GivesZeroAndZeroGradient()
    {
        LossAssert.NothingToLearn(new TupletMarginLoss(), [5, 5, 5], seed: 9);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new TupletMarginLoss(), LossAssert.TwoDuplicatedPairs(), [0, 0, 1, 1]);
        Assert.True(float.IsFinite(loss));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TupletMarginLoss(marginDegrees: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TupletMarginLoss(marginDegrees: 180f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TupletMarginLoss(scale: 0f));
    }
}
