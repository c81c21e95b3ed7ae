using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class SnrContrastiveLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    // SNR distance from its definition: Var(r − a) / Var(a) (population variances over the D components).
    private static double Snr(double[] a, double[] r)
    {
        static double Var(double[] v)
        {
            double m = v.Average();
            return v.Sum(x => (x - m) * (x - m)) / v.Length;
        }
        return Var(r.Zip(a, (x, y) => x - y).ToArray()) / Var(a);
    }

    private static double Expected(float[] e, int n, float[] r, int m, int d, int[] labels, int[] refLabels, bool sameSet,
        double pm, double nm, double lambda)
    {
        var x = Reference.Rows(e, n, d);
        var y = Reference.Rows(r, m, d);
        List<double> pos = [], neg = [];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                if (sameSet && i == j)
                {
                    continue;
                }
                double s = Snr(x[i], y[j]);
                if (labels[i] == refLabels[j])
                {
                    pos.Add(Reference.Relu(s - pm));
                }
                else
                {
                    neg.Add(Reference.Relu(nm - s));
                }
            }
        }
        double reg = lambda * x.Average(row => Math.Abs(row.Sum()));
        return Reference.AvgNonZero(pos) + Reference.AvgNonZero(neg) + reg;
    }

    [Theory]
    [InlineData(1UL, 0f, 1f, 0f)]
    [InlineData(2UL, 0.3f, 1.5f, 0.1f)]
    public void Value_MatchesDoubleLoop(ulong seed, float pm, float nm, float lambda)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new SnrContrastiveLoss(pm, nm, lambda, new SnrDistance(normalizeEmbeddings: false)).Compute(e, Labels);
        Assert.Equal(Expected(e.ToArray(), 6, e.ToArray(), 6, 4, Labels, Labels, true, pm, nm, lambda), loss.Item(), 4);
    }

    [Fact]
    public void ImbalancedWithSingleton_AndSeparateReference()
    {
        int[] labels = [0, 0, 0, 1, 2], refLabels = [0, 1, 1, 2];
        var e = Fixtures.RandomEmbeddings(3, 5, 3);
        var r = Fixtures.RandomEmbeddings(4, 4, 3);
        var loss = new SnrContrastiveLoss(negMargin: 2f, regularizerWeight: 0.05f, distance: new SnrDistance(normalizeEmbeddings: false));
        Assert.Equal(Expected(e.ToArray(), 5, e.ToArray(), 5, 3, labels, labels, true, 0, 2, 0.05), loss.Compute(e, labels).Item(), 4);
        Assert.Equal(Expected(e.ToArray(), 5, r.ToArray(), 4, 3, labels, refLabels, false, 0, 2, 0.05),
            loss.Compute(e, labels, refEmbeddings: r, refLabels: refLabels).Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new SnrContrastiveLoss(0.1f, 3f, 0.1f, reducer: new MeanReducer());
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 4])]);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        // negMargin 0: every negative is already beyond it; no positives exist.
        LossAssert.NothingToLearn(new SnrContrastiveLoss(negMargin: 0f), labels, seed: 8);
    }

    [Fact]
    public void DuplicatedAndConstantEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new SnrContrastiveLoss(regularizerWeight: 0.1f), Tensor.FromArray([1f, 0f, 1f, 0f, 0f, 1f, 0f, 1f, 2f, 2f], 5, 2), [0, 0, 1, 1, 2]);
        Assert.True(float.IsFinite(loss));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnrContrastiveLoss(posMargin: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnrContrastiveLoss(negMargin: float.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnrContrastiveLoss(regularizerWeight: -1f));
    }
}
