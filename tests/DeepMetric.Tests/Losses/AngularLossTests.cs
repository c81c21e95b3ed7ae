using DeepMetric.Losses;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class AngularLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    // Eq. 8: per (a, p), log(1 + Σ_n exp(4tan²α (x_a + x_p)·x_n − 2(1 + tan²α) x_a·x_p)), mean over pairs.
    private static double Expected(float[] e, int n, float[] r, int m, int d, int[] labels, int[] refLabels, bool sameSet, double alphaDeg)
    {
        var x = Reference.Rows(e, n, d).Select(Reference.Normalize).ToArray();
        var y = Reference.Rows(r, m, d).Select(Reference.Normalize).ToArray();
        double t2 = Math.Pow(Math.Tan(alphaDeg * Math.PI / 180), 2);
        List<double> losses = [];
        for (int a = 0; a < n; a++)
        {
            for (int p = 0; p < m; p++)
            {
                if ((sameSet && a == p) || labels[a] != refLabels[p])
                {
                    continue;
                }
                List<double> f = [];
                for (int k = 0; k < m; k++)
                {
                    if (refLabels[k] != labels[a])
                    {
                        f.Add((4 * t2 * (Reference.Dot(x[a], y[k]) + Reference.Dot(y[p], y[k]))) - (2 * (1 + t2) * Reference.Dot(x[a], y[p])));
                    }
                }
                losses.Add(Reference.Log1PSumExp(f));
            }
        }
        return losses.Count == 0 ? 0 : losses.Average();
    }

    [Theory]
    [InlineData(1UL, 40f)]
    [InlineData(2UL, 30f)]
    [InlineData(3UL, 55f)]
    public void Value_MatchesDoubleLoop(ulong seed, float alpha)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new AngularLoss(alpha, normalizeNegatives: true).Compute(e, Labels);
        Assert.Equal(Expected(e.ToArray(), 6, e.ToArray(), 6, 4, Labels, Labels, true, alpha), loss.Item(), 4);
    }

    [Fact]
    public void ImbalancedWithSingleton_AndSeparateReference()
    {
        int[] labels = [0, 0, 0, 1, 2], refLabels = [0, 1, 1, 2, 0];
        var e = Fixtures.RandomEmbeddings(4, 5, 3);
        var r = Fixtures.RandomEmbeddings(5, 5, 3);
        var loss = new AngularLoss(normalizeNegatives: true);
        Assert.Equal(Expected(e.ToArray(), 5, e.ToArray(), 5, 3, labels, labels, true, 40), loss.Compute(e, labels).Item(), 4);
        Assert.Equal(Expected(e.ToArray(), 5, r.ToArray(), 5, 3, labels, refLabels, false, 40),
            loss.Compute(e, labels, refEmbeddings: r, refLabels: refLabels).Item(), 4);
    }

    [Fact]
    public void MinedTriplet_UsesItsPositivePair_WithEveryNegativeOfTheAnchor()
    {
        // As PML: the mined tuples choose the (anchor, positive) pairs; the negatives are all items of another label,
        // used as given (only the anchor and positive are normalised).
        var e = Fixtures.RandomEmbeddings(6, Labels.Length, 4);
        var loss = new AngularLoss().Compute(e, Labels, new TripletTuples([0], [1], [3]));
        var raw = Reference.Rows(e.ToArray(), Labels.Length, 4);
        var x = raw.Select(Reference.Normalize).ToArray();
        double t2 = Math.Pow(Math.Tan(40 * Math.PI / 180), 2);
        double s = 1;
        for (int k = 0; k < Labels.Length; k++)
        {
            if (Labels[k] != Labels[0])
            {
                s += Math.Exp((4 * t2 * (Reference.Dot(x[0], raw[k]) + Reference.Dot(x[1], raw[k]))) - (2 * (1 + t2) * Reference.Dot(x[0], x[1])));
            }
        }
        Assert.Equal(Math.Log(s), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new AngularLoss(35f);
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3])]);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 5, 5, 5 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new AngularLoss(), labels, seed: 8);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        LossAssert.FiniteGradientOnDuplicates(new AngularLoss(), LossAssert.TwoDuplicatedPairs(), [0, 0, 1, 1]);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AngularLoss(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AngularLoss(90f));
    }
}
