using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class RankedListLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    // Per anchor: Σ_{p∈P*} w_p [d − (α − m)]₊ + λ Σ_{n∈N*} w_n [α − d]₊, w = exp(T·violation) normalised over the
    // violating pairs of the anchor; mean over anchors.
    private static double Expected(double[,] dist, int[] labels, int[] refLabels, bool sameSet, double m, double alpha, double tn, double tp, double lambda)
    {
        double total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            List<double> vp = [], vn = [];
            for (int j = 0; j < refLabels.Length; j++)
            {
                if (sameSet && i == j)
                {
                    continue;
                }
                if (labels[i] == refLabels[j])
                {
                    double v = dist[i, j] - (alpha - m);
                    if (v > 0)
                    {
                        vp.Add(v);
                    }
                }
                else
                {
                    double v = alpha - dist[i, j];
                    if (v > 0)
                    {
                        vn.Add(v);
                    }
                }
            }
            total += ((1 - lambda) * Weighted(vp, tp)) + (lambda * Weighted(vn, tn));
        }
        return total / labels.Length;
    }

    private static double Weighted(List<double> v, double t)
    {
        if (v.Count == 0)
        {
            return 0;
        }
        double z = v.Sum(x => Math.Exp(t * x));
        return v.Sum(x => Math.Exp(t * x) / z * x);
    }

    [Theory]
    [InlineData(1UL, 0.4f, 1.2f, 10f, 0f, 0.5f)]
    [InlineData(2UL, 0.2f, 1.0f, 5f, 3f, 0.3f)]
    [InlineData(3UL, 0.4f, 1.4f, 0f, 0f, 0.5f)]
    public void Value_MatchesDoubleLoop(ulong seed, float m, float alpha, float tn, float tp, float lambda)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new RankedListLoss(m, alpha, tn, tp, lambda, detachWeights: true).Compute(e, Labels);
        var dist = Reference.NormalizedEuclidean(e.ToArray(), 6, e.ToArray(), 6, 4);
        Assert.Equal(Expected(dist, Labels, Labels, true, m, alpha, tn, tp, lambda), loss.Item(), 5);
    }

    [Fact]
    public void ImbalancedWithSingleton_AndSeparateReference()
    {
        int[] labels = [0, 0, 0, 1, 2], refLabels = [0, 1, 1, 2, 0];
        var e = Fixtures.RandomEmbeddings(4, 5, 3);
        var r = Fixtures.RandomEmbeddings(5, 5, 3);
        var loss = new RankedListLoss(detachWeights: true);
        var self = Reference.NormalizedEuclidean(e.ToArray(), 5, e.ToArray(), 5, 3);
        Assert.Equal(Expected(self, labels, labels, true, 0.4, 1.2, 10, 0, 0.5), loss.Compute(e, labels).Item(), 5);
        var cross = Reference.NormalizedEuclidean(e.ToArray(), 5, r.ToArray(), 5, 3);
        Assert.Equal(Expected(cross, labels, refLabels, false, 0.4, 1.2, 10, 0, 0.5),
            loss.Compute(e, labels, refEmbeddings: r, refLabels: refLabels).Item(), 5);
    }

    [Fact]
    public void WithCosineSimilarity_UsesSimilarityDirection()
    {
        var e = Fixtures.RandomEmbeddings(6, Labels.Length, 4);
        // Similarity form: positives violate when s < α + m, negatives when s > α. With the distance −s and the
        // boundary −α this is exactly the distance form.
        var loss = new RankedListLoss(0.3f, 0.2f, tn: 2f, distance: new CosineSimilarity(), detachWeights: true).Compute(e, Labels);
        var cos = Reference.Cosine(e.ToArray(), 6, e.ToArray(), 6, 4);
        var negCos = new double[6, 6];
        for (int i = 0; i < 6; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                negCos[i, j] = -cos[i, j];
            }
        }
        Assert.Equal(Expected(negCos, Labels, Labels, true, 0.3, -0.2, 2, 0, 0.5), loss.Item(), 5);
    }

    [Fact]
    public void Gradient_ThroughPmlWeights_MatchesFiniteDifferences()
    {
        var loss = new RankedListLoss(0.4f, 1.4f, tn: 2f, tp: 1f);
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(4, [Labels.Length, 3])]);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new RankedListLoss(0.4f, 1.4f, tn: 0f, detachWeights: true);
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3])]);
    }

    [Theory]
    [InlineData(new[] { 3 }, 1.2f)]
    [InlineData(new[] { 1, 2, 3, 4 }, -0.1f)]
    [InlineData(new[] { 5, 5, 5 }, 2.5f)]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels, float alpha)
    {
        LossAssert.NothingToLearn(new RankedListLoss(0.4f, alpha), labels, seed: 8);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        LossAssert.FiniteGradientOnDuplicates(new RankedListLoss(0.4f, 1.2f, tn: 50f), LossAssert.TwoDuplicatedPairs(), [0, 1, 0, 1]);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RankedListLoss(margin: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RankedListLoss(alpha: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RankedListLoss(tn: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RankedListLoss(tp: float.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RankedListLoss(imbalance: 2f));
    }
}
