using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class HistogramLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    // Paper eqs. 2–4: δ_{i,r} = (s − t_{r−1})/Δ on [t_{r−1}, t_r], (t_{r+1} − s)/Δ on [t_r, t_{r+1}], 0 elsewhere.
    // B bins of width Δ = 2/B give B + 1 nodes (PML's n_bins).
    private static double[] Hist(List<double> s, int bins)
    {
        int r = bins + 1;
        double delta = 2.0 / bins;
        var h = new double[r];
        foreach (double v in s)
        {
            for (int k = 0; k < r; k++)
            {
                double t = -1 + (k * delta);
                if (v >= t - delta && v <= t)
                {
                    h[k] += (v - (t - delta)) / delta;
                }
                else if (v > t && v <= t + delta)
                {
                    h[k] += (t + delta - v) / delta;
                }
            }
        }
        return h.Select(x => x / s.Count).ToArray();
    }

    private static double Expected(double[,] cos, int[] labels, int[] refLabels, bool sameSet, int r)
    {
        // PML takes the pairs from the triplets: a negative pair needs an anchor side that has a positive.
        bool HasPositive(int i) => Enumerable.Range(0, refLabels.Length).Any(j => !(sameSet && i == j) && labels[i] == refLabels[j]);
        List<double> pos = [], neg = [];
        for (int i = 0; i < labels.Length; i++)
        {
            for (int j = 0; j < refLabels.Length; j++)
            {
                if (sameSet && i == j)
                {
                    continue;
                }
                if (labels[i] == refLabels[j])
                {
                    pos.Add(cos[i, j]);
                }
                else if (HasPositive(i) || (sameSet && HasPositive(j)))
                {
                    neg.Add(cos[i, j]);
                }
            }
        }
        if (pos.Count == 0 || neg.Count == 0)
        {
            return 0;
        }
        var hp = Hist(pos, r);
        var hn = Hist(neg, r);
        double loss = 0, cdf = 0;
        for (int k = 0; k < hp.Length; k++)
        {
            cdf += hp[k];
            loss += hn[k] * cdf;
        }
        return loss;
    }

    [Theory]
    [InlineData(1UL, 100)]
    [InlineData(2UL, 11)]
    [InlineData(3UL, 2)]
    public void Value_MatchesDoubleLoop(ulong seed, int bins)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new HistogramLoss(bins).Compute(e, Labels);
        var cos = Reference.Cosine(e.ToArray(), 6, e.ToArray(), 6, 4);
        Assert.Equal(Expected(cos, Labels, Labels, true, bins), loss.Item(), 5);
    }

    [Fact]
    public void HandWorked_TwoNodes()
    {
        // One bin: two nodes at −1 and 1 (Δ = 2): h(s) = ((1 − s)/2, (1 + s)/2). Positive s = 1 → h⁺ = (0, 1), Φ⁺ = (0, 1);
        // negative s = 0 → h⁻ = (½, ½). Loss = ½·0 + ½·1 = ½.
        var e = Tensor.FromArray([1f, 0f, 1f, 0f, 0f, 1f], 3, 2);
        e.RequiresGrad = true;
        var loss = new HistogramLoss(1).Compute(e, [0, 0, 1]);
        Assert.Equal(0.5f, loss.Item(), 5);
    }

    [Fact]
    public void ImbalancedWithSingleton_AndSeparateReference()
    {
        int[] labels = [0, 0, 0, 1, 2], refLabels = [0, 1, 1, 2, 0];
        var e = Fixtures.RandomEmbeddings(4, 5, 3);
        var r = Fixtures.RandomEmbeddings(5, 5, 3);
        var loss = new HistogramLoss(25);
        Assert.Equal(Expected(Reference.Cosine(e.ToArray(), 5, e.ToArray(), 5, 3), labels, labels, true, 25), loss.Compute(e, labels).Item(), 5);
        Assert.Equal(Expected(Reference.Cosine(e.ToArray(), 5, r.ToArray(), 5, 3), labels, refLabels, false, 25),
            loss.Compute(e, labels, refEmbeddings: r, refLabels: refLabels).Item(), 5);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        // Few wide bins keep the piecewise-linear kinks away from the finite-difference steps.
        var loss = new HistogramLoss(5);
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3])]);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 5, 5, 5 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new HistogramLoss(), labels, seed: 8);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        LossAssert.FiniteGradientOnDuplicates(new HistogramLoss(), LossAssert.TwoDuplicatedPairs(), [0, 1, 0, 1]);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HistogramLoss(0));
        var ex = Assert.Throws<ArgumentException>(() => new HistogramLoss(distance: new LpDistance()));
        Assert.Contains("similarity", ex.Message, StringComparison.Ordinal);
    }
}
