using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class ProxyNcaLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    [Theory]
    [InlineData(1f, 1UL)]
    [InlineData(8f, 2UL)]
    public void Value_MatchesDoubleLoop(float scale, ulong seed)
    {
        var loss = new ProxyNcaLoss(4, 5, scale, seed);
        var x = Fixtures.RandomEmbeddings(seed + 30, Labels.Length, 5);
        var d = Reference.NormalizedEuclidean(x.ToArray(), Labels.Length, loss.Proxies.ToArray(), 4, 5);
        double expected = 0;
        for (int i = 0; i < Labels.Length; i++)
        {
            var z = new double[4];
            for (int c = 0; c < 4; c++)
            {
                z[c] = -scale * d[i, c] * d[i, c];
            }
            expected += ClassifierReference.CrossEntropy(z, Labels[i]) / Labels.Length;
        }
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), 4);
    }

    [Fact]
    public void WithCosineSimilarity_UsesPositiveLogits()
    {
        var loss = new ProxyNcaLoss(3, 2, softmaxScale: 2f, distance: new CosineSimilarity());
        var x = Fixtures.RandomEmbeddings(3, 3, 2);
        int[] labels = [2, 0, 2];
        var cos = ClassifierReference.Cosines(x.ToArray(), 3, loss.Proxies.ToArray(), 3, 2);
        Assert.Equal(ClassifierReference.MarginSoftmax(cos, labels, 2, c => c), loss.Compute(x, labels).Item(), 4);
    }

    [Fact]
    public void Gradient_EmbeddingsAndProxies_MatchFiniteDifferences()
    {
        var loss = new ProxyNcaLoss(4, 3, softmaxScale: 2f, seed: 4);
        Assert.Equal("proxies", Assert.Single(loss.NamedParameters()).Key);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(5, [Labels.Length, 3]), loss.Proxies]);
    }

    [Fact]
    public void OneSample_AndDuplicates_AreFinite()
    {
        var loss = new ProxyNcaLoss(3, 2);
        var x = Tensor.FromArray([1f, 2f, 1f, 2f, 0f, 0f], 3, 2);
        x.RequiresGrad = true;
        loss.Compute(x, [0, 0, 1]).Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Proxies.Grad);
        var one = Fixtures.RandomEmbeddings(4, 1, 2);
        loss.Compute(one, [2]).Backward();
        Fixtures.AssertFinite(one.Grad);
    }

    [Fact]
    public void LabelOutOfRange_GivesClearError()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyNcaLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 2, 2), [0, -1]));
        Assert.Contains("labels[1] = -1", ex.Message, StringComparison.Ordinal);
    }
}
