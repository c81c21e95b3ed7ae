using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class NormalizedSoftmaxLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    [Theory]
    [InlineData(0.05f, 1UL)]
    [InlineData(0.5f, 2UL)]
    public void Value_MatchesDoubleLoop(float temperature, ulong seed)
    {
        var loss = new NormalizedSoftmaxLoss(4, 5, temperature, seed);
        var x = Fixtures.RandomEmbeddings(seed, Labels.Length, 5);
        var cos = ClassifierReference.Cosines(x.ToArray(), Labels.Length, loss.Weight.ToArray(), 4, 5);
        double expected = ClassifierReference.MarginSoftmax(cos, Labels, 1 / (double)temperature, c => c);
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), 3);
    }

    [Fact]
    public void WithDistance_UsesNegativeDistanceLogits()
    {
        var loss = new NormalizedSoftmaxLoss(3, 2, 0.5f, distance: new LpDistance());
        var x = Fixtures.RandomEmbeddings(3, 4, 2);
        int[] labels = [0, 1, 2, 0];
        var d = Reference.NormalizedEuclidean(x.ToArray(), 4, loss.Weight.ToArray(), 3, 2);
        double expected = 0;
        for (int i = 0; i < 4; i++)
        {
            expected += ClassifierReference.CrossEntropy([-d[i, 0] / 0.5, -d[i, 1] / 0.5, -d[i, 2] / 0.5], labels[i]) / 4;
        }
        Assert.Equal(expected, loss.Compute(x, labels).Item(), 4);
    }

    [Fact]
    public void Gradient_EmbeddingsAndWeights_MatchFiniteDifferences()
    {
        var loss = new NormalizedSoftmaxLoss(4, 3, temperature: 0.5f, seed: 4);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(5, [Labels.Length, 3]), loss.Weight]);
    }

    [Fact]
    public void OneSample_DuplicatesAndZeroEmbedding_AreFinite()
    {
        var loss = new NormalizedSoftmaxLoss(3, 2);
        var x = Tensor.FromArray([1f, 2f, 1f, 2f, 0f, 0f], 3, 2);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [0, 1, 2]);
        Assert.True(float.IsFinite(l.Item()));
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Weight.Grad);
        var one = Fixtures.RandomEmbeddings(6, 1, 2);
        loss.Compute(one, [1]).Backward();
        Fixtures.AssertFinite(one.Grad);
    }

    [Fact]
    public void LabelOutOfRange_GivesClearError()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new NormalizedSoftmaxLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 2, 2), [0, 5]));
        Assert.Contains("labels[1] = 5", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NormalizedSoftmaxLoss(3, 2, temperature: 0f));
    }
}
