using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class IntraPairVarianceLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    private static (List<double> Pos, List<double> Neg) Split(double[,] v, int[] labels, int[] refLabels, bool sameSet)
    {
        List<double> pos = [], neg = [];
        for (int i = 0; i < labels.Length; i++)
        {
            for (int j = 0; j < refLabels.Length; j++)
            {
                if (!(sameSet && i == j))
                {
                    (labels[i] == refLabels[j] ? pos : neg).Add(v[i, j]);
                }
            }
        }
        return (pos, neg);
    }

    private static double ExpectedCosine(double[,] cos, int[] labels, int[] refLabels, bool sameSet, double pe, double ne)
    {
        var (pos, neg) = Split(cos, labels, refLabels, sameSet);
        double mp = pos.Count == 0 ? 0 : pos.Average(), mn = neg.Count == 0 ? 0 : neg.Average();
        double lp = pos.Count == 0 ? 0 : pos.Select(s => Math.Pow(Reference.Relu(((1 - pe) * mp) - s), 2)).Average();
        double ln = neg.Count == 0 ? 0 : neg.Select(s => Math.Pow(Reference.Relu(s - ((1 + ne) * mn)), 2)).Average();
        return lp + ln;
    }

    [Theory]
    [InlineData(1UL, 0.01f, 0.01f)]
    [InlineData(2UL, 0.1f, 0.05f)]
    [InlineData(3UL, 0f, 0f)]
    public void Value_MatchesDoubleLoop(ulong seed, float pe, float ne)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new IntraPairVarianceLoss(pe, ne).Compute(e, Labels);
        var cos = Reference.Cosine(e.ToArray(), 6, e.ToArray(), 6, 4);
        Assert.Equal(ExpectedCosine(cos, Labels, Labels, true, pe, ne), loss.Item(), 5);
    }

    [Fact]
    public void WithEuclideanDistance_FlipsDirections()
    {
        int[] labels = [0, 0, 0, 1, 2, 1];
        var e = Fixtures.RandomEmbeddings(4, labels.Length, 3);
        var loss = new IntraPairVarianceLoss(0.1f, 0.1f, distance: new LpDistance()).Compute(e, labels);
        var (pos, neg) = Split(Reference.NormalizedEuclidean(e.ToArray(), 6, e.ToArray(), 6, 3), labels, labels, true);
        double mp = pos.Average(), mn = neg.Average();
        double expected = pos.Select(d => Math.Pow(Reference.Relu(d - (1.1 * mp)), 2)).Average()
            + neg.Select(d => Math.Pow(Reference.Relu((0.9 * mn) - d), 2)).Average();
        Assert.Equal(expected, loss.Item(), 5);
    }

    [Fact]
    public void SeparateReferenceSet()
    {
        int[] labels = [0, 1, 1], refLabels = [0, 1, 2, 0];
        var e = Fixtures.RandomEmbeddings(5, 3, 3);
        var r = Fixtures.RandomEmbeddings(6, 4, 3);
        var loss = new IntraPairVarianceLoss(0.05f, 0.05f).Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        var cos = Reference.Cosine(e.ToArray(), 3, r.ToArray(), 4, 3);
        Assert.Equal(ExpectedCosine(cos, labels, refLabels, false, 0.05, 0.05), loss.Item(), 5);
    }

    [Fact]
    public void Gradient_ThroughTheMeans_MatchesFiniteDifferences()
    {
        var loss = new IntraPairVarianceLoss(0.2f, 0.2f, reducer: new SumReducer());
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3])]);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences_WithMeansHeldConstant()
    {
        // The means are detached, so finite differences must hold them fixed: compare at a point where no pair
        // sits on a hinge, using the analytic form with the means frozen from the unperturbed input.
        var x0 = GradCheck.Random(3, [Labels.Length, 3]);
        x0.RequiresGrad = true;
        var loss = new IntraPairVarianceLoss(0.2f, 0.2f, reducer: new SumReducer(), detachMean: true);
        var value = loss.Compute(x0, Labels);
        value.Backward();
        var g = x0.Grad!.ToArray();
        var data = x0.ToArray();
        var cos0 = Reference.Cosine(data, 6, data, 6, 3);
        var (pos0, neg0) = Split(cos0, Labels, Labels, true);
        double mp = pos0.Average(), mn = neg0.Average();
        double Frozen(float[] d)
        {
            var (pos, neg) = Split(Reference.Cosine(d, 6, d, 6, 3), Labels, Labels, true);
            return pos.Sum(s => Math.Pow(Reference.Relu((0.8 * mp) - s), 2)) + neg.Sum(s => Math.Pow(Reference.Relu(s - (1.2 * mn)), 2));
        }
        for (int k = 0; k < data.Length; k++)
        {
            var plus = (float[])data.Clone();
            var minus = (float[])data.Clone();
            plus[k] += 1e-3f;
            minus[k] -= 1e-3f;
            double fd = (Frozen(plus) - Frozen(minus)) / ((double)plus[k] - minus[k]);
            Assert.Equal(fd, g[k], 3);
        }
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        // Two singletons: one negative pair each way, both equal to the mean, so nothing strays from it.
        LossAssert.NothingToLearn(new IntraPairVarianceLoss(), labels, seed: 8);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        LossAssert.FiniteGradientOnDuplicates(new IntraPairVarianceLoss(distance: new LpDistance()), Tensor.FromArray([1f, 0f, 1f, 0f, 0f, 1f, 0f, 1f, 0.6f, 0.8f], 5, 2), [0, 0, 1, 1, 0]);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntraPairVarianceLoss(posEps: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntraPairVarianceLoss(negEps: float.NaN));
    }
}
