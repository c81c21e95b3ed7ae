using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class ContrastiveLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    private static double Expected(float[] e, int[] labels, int d, double posMargin, double negMargin)
    {
        int n = labels.Length;
        var dist = Reference.NormalizedEuclidean(e, n, e, n, d);
        List<double> pos = [], neg = [];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i == j)
                {
                    continue;
                }
                if (labels[i] == labels[j])
                {
                    pos.Add(Reference.Relu(dist[i, j] - posMargin));
                }
                else
                {
                    neg.Add(Reference.Relu(negMargin - dist[i, j]));
                }
            }
        }
        return Reference.AvgNonZero(pos) + Reference.AvgNonZero(neg);
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(0.2f, 1.5f)]
    public void Value_MatchesDoubleLoop(float posMargin, float negMargin)
    {
        var e = Fixtures.RandomEmbeddings(1, Labels.Length, 4);
        var loss = new ContrastiveLoss(posMargin, negMargin).Compute(e, Labels);
        Assert.Equal(Expected(e.ToArray(), Labels, 4, posMargin, negMargin), loss.Item(), 4);
    }

    [Fact]
    public void WithCosineSimilarity_UsesSimilarityDirection()
    {
        var e = Fixtures.RandomEmbeddings(2, Labels.Length, 4);
        var loss = new ContrastiveLoss(posMargin: 1f, negMargin: 0f, distance: new CosineSimilarity()).Compute(e, Labels);
        var x = Reference.Rows(e.ToArray(), Labels.Length, 4).Select(Reference.Normalize).ToArray();
        List<double> pos = [], neg = [];
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                if (i == j)
                {
                    continue;
                }
                double s = Reference.Dot(x[i], x[j]);
                (Labels[i] == Labels[j] ? pos : neg).Add(Labels[i] == Labels[j] ? Reference.Relu(1 - s) : Reference.Relu(s - 0));
            }
        }
        Assert.Equal(Reference.AvgNonZero(pos) + Reference.AvgNonZero(neg), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new ContrastiveLoss(0.1f, 1.2f, reducer: new MeanReducer());
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3])]);
    }

    [Fact]
    public void MinedPairs_AreUsedExactly()
    {
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 4);
        var pairs = new PairTuples([0], [1], [2], [3]);
        var loss = new ContrastiveLoss(0f, 1f, reducer: new SumReducer()).Compute(e, Labels, pairs);
        var dist = Reference.NormalizedEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4);
        Assert.Equal(dist[0, 1] + Reference.Relu(1 - dist[2, 3]), loss.Item(), 4);
    }

    [Fact]
    public void SeparateReferenceSet_ComparesAgainstIt()
    {
        var e = Fixtures.RandomEmbeddings(5, 2, 3);
        var r = Fixtures.RandomEmbeddings(6, 3, 3);
        int[] labels = [0, 1], refLabels = [0, 1, 1];
        var loss = new ContrastiveLoss(0f, 2f, reducer: new SumReducer()).Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        var dist = Reference.NormalizedEuclidean(e.ToArray(), 2, r.ToArray(), 3, 3);
        double expected = dist[0, 0] + dist[1, 1] + dist[1, 2] + (2 - dist[0, 1]) + (2 - dist[0, 2]) + (2 - dist[1, 0]);
        Assert.Equal(expected, loss.Item(), 4);
    }

    [Theory]
    [InlineData(new[] { 3 })]             // one sample
    [InlineData(new[] { 1, 2, 3, 4 })]    // all distinct: no positive pair
    [InlineData(new[] { 5, 5, 5 })]       // one class: no negative pair
    public void BatchesWithNothingToLearn_GiveZeroAndFiniteGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new ContrastiveLoss(posMargin: 5f, negMargin: 0f), labels, seed: 7);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        LossAssert.FiniteGradientOnDuplicates(new ContrastiveLoss(), LossAssert.TwoDuplicatedPairs(), [0, 1, 0, 1]);
    }

    [Fact]
    public void BadInput_GivesClearErrors()
    {
        var e = Fixtures.RandomEmbeddings(8, 3, 2);
        var ex = Assert.Throws<ArgumentException>(() => new ContrastiveLoss().Compute(e, [0, 1]));
        Assert.Contains("labels", ex.Message, StringComparison.Ordinal);
        var nan = Tensor.FromArray([1f, float.NaN, 0f, 1f], 2, 2);
        var ex2 = Assert.Throws<ArgumentException>(() => new ContrastiveLoss().Compute(nan, [0, 1]));
        Assert.Contains("non-finite", ex2.Message, StringComparison.Ordinal);
        var ex3 = Assert.Throws<ArgumentException>(() => new ContrastiveLoss().Compute(e, [0, 1, 0], new PairTuples([0], [7], [], [])));
        Assert.Contains("outside", ex3.Message, StringComparison.Ordinal);
    }
}
