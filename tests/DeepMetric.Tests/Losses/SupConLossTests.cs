using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class SupConLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 1];

    /// <summary>Per-anchor L_out values with plain exponentials (anchors with positives only).</summary>
    private static List<double> Values(double[,] s, int[] labels, int[] refLabels, bool sameSet, double tau)
    {
        List<double> values = [];
        for (int i = 0; i < labels.Length; i++)
        {
            double denom = 0;
            for (int a = 0; a < refLabels.Length; a++)
            {
                if (!(sameSet && a == i))
                {
                    denom += Math.Exp(s[i, a] / tau);
                }
            }
            double sum = 0;
            int count = 0;
            for (int p = 0; p < refLabels.Length; p++)
            {
                if (!(sameSet && p == i) && refLabels[p] == labels[i])
                {
                    sum += -Math.Log(Math.Exp(s[i, p] / tau) / denom);
                    count++;
                }
            }
            if (count > 0)
            {
                values.Add(sum / count);
            }
        }
        return values;
    }

    [Theory]
    [InlineData(1UL, 0.1f)]
    [InlineData(2UL, 0.5f)]
    public void Value_MatchesPaperFormula(ulong seed, float tau)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var s = Reference.Similarities(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4, normalize: true);
        var loss = new SupConLoss(tau, reducer: new MeanReducer()).Compute(e, Labels);
        Assert.Equal(Values(s, Labels, Labels, true, tau).Average(), loss.Item(), 4);
    }

    [Fact]
    public void DefaultReducer_AveragesNonZero()
    {
        var e = Fixtures.RandomEmbeddings(3, Labels.Length, 4);
        var s = Reference.Similarities(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4, normalize: true);
        Assert.Equal(Reference.AvgNonZero(Values(s, Labels, Labels, true, 0.1)), new SupConLoss().Compute(e, Labels).Item(), 4);
    }

    [Fact]
    public void SeparateReferenceSet_ComparesAgainstIt()
    {
        var e = Fixtures.RandomEmbeddings(4, 3, 3);
        var r = Fixtures.RandomEmbeddings(5, 4, 3);
        int[] labels = [0, 1, 2], refLabels = [0, 1, 1, 3];
        var s = Reference.Similarities(e.ToArray(), 3, r.ToArray(), 4, 3, normalize: true);
        var loss = new SupConLoss(0.2f, reducer: new MeanReducer()).Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        Assert.Equal(Values(s, labels, refLabels, false, 0.2).Average(), loss.Item(), 4);
    }

    [Fact]
    public void WithDistance_UsesNegatedDistance()
    {
        var e = Fixtures.RandomEmbeddings(6, Labels.Length, 3);
        var d = Reference.Euclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 3, normalize: true);
        var s = new double[Labels.Length, Labels.Length];
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                s[i, j] = -d[i, j];
            }
        }
        var loss = new SupConLoss(0.3f, new LpDistance(), new MeanReducer()).Compute(e, Labels);
        Assert.Equal(Values(s, Labels, Labels, true, 0.3).Average(), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new SupConLoss(0.5f, reducer: new MeanReducer());
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 1, 2, 2, 3]), [GradCheck.Random(7, [7, 3])]);
    }

    [Fact]
    public void SmallTemperature_DoesNotOverflow()
    {
        var e = Fixtures.RandomEmbeddings(8, 6, 3, requiresGrad: false);
        var big = Ops.Mul(e, 50f).Detach();
        big.RequiresGrad = true;
        var loss = new SupConLoss(0.01f, new DotProductSimilarity(normalizeEmbeddings: false)).Compute(big, [0, 1, 0, 1, 2, 2]);
        Assert.True(float.IsFinite(loss.Item()));
        loss.Backward();
        Fixtures.AssertFinite(big.Grad);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new SupConLoss(), labels, seed: 9);
    }

    [Fact]
    public void OneClass_HasLogOfCountOnDuplicates()
    {
        // Three identical positives and one opposite negative (cosine −1): each of the three anchors has
        // log(2 + e^{−2/τ}), gradient finite. A batch of one class alone gives 0, as PML (no negative pair).
        var e = Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 0f, -1f, 0f], 4, 2);
        e.RequiresGrad = true;
        var loss = new SupConLoss().Compute(e, [4, 4, 4, 5]);
        Assert.Equal(3 * Math.Log(2 + Math.Exp(-20)) / 3, loss.Item(), 4);
        Assert.Equal(0f, new SupConLoss().Compute(Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 0f], 3, 2), [4, 4, 4]).Item());
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }

    [Fact]
    public void BadTemperature_IsRejected()
    {
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new SupConLoss(0f)).ParamName);
    }
}
