using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class NPairsLossTests
{
    private static readonly int[] Labels = [0, 1, 0, 2, 1, 2, 3, 0];

    /// <summary>The paper's formula on the first (anchor, positive) pair of every class with two or more samples.</summary>
    private static double Expected(float[] e, int[] labels, int d, bool normalize = false)
    {
        List<int> a = [], p = [];
        var seen = new HashSet<int>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (seen.Contains(labels[i]))
            {
                continue;
            }
            for (int j = i + 1; j < labels.Length; j++)
            {
                if (labels[j] == labels[i])
                {
                    seen.Add(labels[i]);
                    a.Add(i);
                    p.Add(j);
                    break;
                }
            }
        }
        if (a.Count == 0)
        {
            return 0;
        }
        var x = Reference.Rows(e, labels.Length, d);
        if (normalize)
        {
            x = x.Select(Reference.Normalize).ToArray();
        }
        double total = 0;
        for (int i = 0; i < a.Count; i++)
        {
            double sum = 0;
            for (int j = 0; j < a.Count; j++)
            {
                if (j != i)
                {
                    sum += Math.Exp(Reference.Dot(x[a[i]], x[p[j]]) - Reference.Dot(x[a[i]], x[p[i]]));
                }
            }
            total += Math.Log(1 + sum);
        }
        return total / a.Count;
    }

    [Theory]
    [InlineData(1UL, 4)]
    [InlineData(2UL, 3)]
    public void Value_MatchesPaperFormula(ulong seed, int d)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, d);
        Assert.Equal(Expected(e.ToArray(), Labels, d), new NPairsLoss(distance: new DotProductSimilarity(normalizeEmbeddings: false)).Compute(e, Labels).Item(), 4);
    }

    [Fact]
    public void Value_NormalisedEmbeddings_AndSingletonClass()
    {
        int[] labels = [5, 5, 7, 9, 9, 9];
        var e = Fixtures.RandomEmbeddings(3, labels.Length, 4);
        var loss = new NPairsLoss(distance: new CosineSimilarity()).Compute(e, labels);
        Assert.Equal(Expected(e.ToArray(), labels, 4, normalize: true), loss.Item(), 4);
    }

    [Fact]
    public void L2Regularization_AddsLambdaTimesMeanSquaredNorm()
    {
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 3);
        var x = Reference.Rows(e.ToArray(), Labels.Length, 3);
        double meanSq = x.Average(r => Reference.Dot(r, r));
        var loss = new NPairsLoss(l2Regularization: 0.02f, distance: new DotProductSimilarity(normalizeEmbeddings: false)).Compute(e, Labels);
        Assert.Equal(Expected(e.ToArray(), Labels, 3) + (0.02 * meanSq), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new NPairsLoss(l2Regularization: 0.1f);
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 1, 2, 2]), [GradCheck.Random(5, [6, 3])]);
    }

    [Fact]
    public void DistanceDirection_NegatesDistances()
    {
        var e = Fixtures.RandomEmbeddings(6, 4, 3);
        int[] labels = [0, 0, 1, 1];
        var dist = Reference.Euclidean(e.ToArray(), 4, e.ToArray(), 4, 3, normalize: true);
        // Anchors 0 and 2, positives 1 and 3; logits are −d.
        double l0 = Math.Log(1 + Math.Exp(-dist[0, 3] + dist[0, 1]));
        double l1 = Math.Log(1 + Math.Exp(-dist[2, 1] + dist[2, 3]));
        Assert.Equal((l0 + l1) / 2, new NPairsLoss(distance: new LpDistance()).Compute(e, labels).Item(), 4);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 5, 5, 5 })]   // one class: one pair, nothing to contrast against
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new NPairsLoss(), labels, seed: 7);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new NPairsLoss(distance: new LpDistance()), LossAssert.FourEqualRows(), [0, 0, 1, 1]);
        Assert.Equal(Math.Log(2), loss, 4);
    }

    [Fact]
    public void ReferenceSet_AndBadArguments_AreRejected()
    {
        var e = Fixtures.RandomEmbeddings(8, 2, 2);
        var ex = Assert.Throws<ArgumentException>(() => new NPairsLoss().Compute(e, [0, 0], refEmbeddings: e, refLabels: [0, 0]));
        Assert.Contains("reference", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NPairsLoss(l2Regularization: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NPairsLoss(l2Regularization: float.NaN));
    }
}
