using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class MultiSimilarityLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 1];

    /// <summary>The paper's formula with plain sums of exponentials (fine in double for the tested scales), mean over all anchors.</summary>
    private static double Expected(double[,] s, int[] labels, int[] refLabels, bool sameSet, double alpha, double beta, double lambda)
    {
        double total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double p = 0, n = 0;
            for (int k = 0; k < refLabels.Length; k++)
            {
                if (sameSet && i == k)
                {
                    continue;
                }
                if (labels[i] == refLabels[k])
                {
                    p += Math.Exp(-alpha * (s[i, k] - lambda));
                }
                else
                {
                    n += Math.Exp(beta * (s[i, k] - lambda));
                }
            }
            total += (Math.Log(1 + p) / alpha) + (Math.Log(1 + n) / beta);
        }
        return total / labels.Length;
    }

    [Theory]
    [InlineData(1UL, 2f, 50f, 0.5f)]
    [InlineData(2UL, 1f, 10f, 0.2f)]
    public void Value_MatchesPaperFormula(ulong seed, float alpha, float beta, float lambda)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var s = Reference.Similarities(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4, normalize: true);
        var loss = new MultiSimilarityLoss(alpha, beta, lambda).Compute(e, Labels);
        Assert.Equal(Expected(s, Labels, Labels, true, alpha, beta, lambda), loss.Item(), 4);
    }

    [Fact]
    public void WithDistance_FlipsTheDirection()
    {
        var e = Fixtures.RandomEmbeddings(3, Labels.Length, 3);
        var d = Reference.Euclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 3, normalize: true);
        var negD = new double[Labels.Length, Labels.Length];
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                negD[i, j] = -d[i, j];
            }
        }
        // exp(α(d − λ)) = exp(−α(−d − (−λ))): the similarity formula on −d with base −λ.
        var loss = new MultiSimilarityLoss(2f, 5f, 0.7f, new LpDistance()).Compute(e, Labels);
        Assert.Equal(Expected(negD, Labels, Labels, true, 2, 5, -0.7), loss.Item(), 4);
    }

    [Fact]
    public void SeparateReferenceSet_ComparesAgainstIt()
    {
        var e = Fixtures.RandomEmbeddings(4, 3, 3);
        var r = Fixtures.RandomEmbeddings(5, 4, 3);
        int[] labels = [0, 1, 2], refLabels = [0, 1, 1, 3];
        var s = Reference.Similarities(e.ToArray(), 3, r.ToArray(), 4, 3, normalize: true);
        var loss = new MultiSimilarityLoss().Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        Assert.Equal(Expected(s, labels, refLabels, false, 2, 50, 0.5), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new MultiSimilarityLoss(2f, 8f, 0.3f);
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 1, 2, 2]), [GradCheck.Random(6, [6, 3])]);
    }

    [Fact]
    public void HugeBetaAndScale_DoNotOverflow()
    {
        // Unnormalised dot products ×100 with β = 50: exponents of order 10⁵, far beyond float's exp range.
        var e = Fixtures.RandomEmbeddings(7, 6, 3, requiresGrad: false);
        var big = Ops.Mul(e, 100f).Detach();
        big.RequiresGrad = true;
        int[] labels = [0, 1, 0, 1, 2, 2];
        var loss = new MultiSimilarityLoss(2f, 50f, 0.5f, new DotProductSimilarity(normalizeEmbeddings: false)).Compute(big, labels);
        var s = Reference.Similarities(big.ToArray(), 6, big.ToArray(), 6, 3, normalize: false);
        // Reference in log-sum-exp form (double would overflow too).
        double total = 0;
        for (int i = 0; i < 6; i++)
        {
            List<double> p = [0], n = [0];
            for (int k = 0; k < 6; k++)
            {
                if (k != i)
                {
                    (labels[i] == labels[k] ? p : n).Add(labels[i] == labels[k] ? -2 * (s[i, k] - 0.5) : 50 * (s[i, k] - 0.5));
                }
            }
            total += (Reference.LogSumExp(p) / 2) + (Reference.LogSumExp(n) / 50);
        }
        Assert.True(float.IsFinite(loss.Item()));
        Assert.Equal(total / 6, loss.Item(), 1e-4 * Math.Max(1, Math.Abs(total / 6)));
        loss.Backward();
        Fixtures.AssertFinite(big.Grad);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new MultiSimilarityLoss(), labels, seed: 8);
    }

    [Fact]
    public void MinedPairs_AnchorsWithoutPairsCountAsZero()
    {
        var e = Fixtures.RandomEmbeddings(9, 4, 3);
        var s = Reference.Similarities(e.ToArray(), 4, e.ToArray(), 4, 3, normalize: true);
        var pairs = new PairTuples([0], [1], [0], [2]);
        var loss = new MultiSimilarityLoss().Compute(e, [0, 0, 1, 1], pairs);
        double v = (Math.Log(1 + Math.Exp(-2 * (s[0, 1] - 0.5))) / 2) + (Math.Log(1 + Math.Exp(50 * (s[0, 2] - 0.5))) / 50);
        Assert.Equal(v / 4, loss.Item(), 4);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new MultiSimilarityLoss(), LossAssert.FourEqualRows(), [0, 0, 1, 1]);
        Assert.Equal((Math.Log(1 + Math.Exp(-1)) / 2) + (Math.Log(1 + (2 * Math.Exp(25))) / 50), loss, 4);
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new MultiSimilarityLoss(alpha: 0f)).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentOutOfRangeException>(() => new MultiSimilarityLoss(beta: float.NaN)).ParamName);
        Assert.Equal("baseValue", Assert.Throws<ArgumentOutOfRangeException>(() => new MultiSimilarityLoss(baseValue: float.PositiveInfinity)).ParamName);
    }
}
