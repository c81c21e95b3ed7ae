using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class CosFaceLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    [Theory]
    [InlineData(0.35f, 64f, 1UL)]
    [InlineData(0.1f, 5f, 2UL)]
    public void Value_MatchesDoubleLoop(float margin, float scale, ulong seed)
    {
        var loss = new CosFaceLoss(4, 5, margin, scale, seed);
        var x = Fixtures.RandomEmbeddings(seed + 20, Labels.Length, 5);
        var cos = ClassifierReference.Cosines(x.ToArray(), Labels.Length, loss.Weight.ToArray(), 4, 5);
        double expected = ClassifierReference.MarginSoftmax(cos, Labels, scale, c => c - margin);
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), expected * 1e-4 + 1e-4);
    }

    [Fact]
    public void Gradient_EmbeddingsAndWeights_MatchFiniteDifferences()
    {
        var loss = new CosFaceLoss(4, 3, margin: 0.3f, scale: 3f, seed: 7);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(8, [Labels.Length, 3]), loss.Weight]);
    }

    [Fact]
    public void Stress_Scale64_WrongClass_IsFinite()
    {
        var loss = new CosFaceLoss(3, 4, seed: 2);
        var w = loss.Weight.ToArray();
        var data = new float[12];
        Array.Copy(w, 4, data, 0, 4);
        Array.Copy(w, 8, data, 4, 4);
        Array.Copy(w, 8, data, 8, 4);
        var x = Tensor.FromArray(data, 3, 4);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [0, 1, 1]);
        Assert.True(float.IsFinite(l.Item()));
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Weight.Grad);
    }

    [Fact]
    public void OneSample_IsFinite_AndLabelOutOfRange_Throws()
    {
        var loss = new CosFaceLoss(3, 2);
        var x = Fixtures.RandomEmbeddings(9, 1, 2);
        loss.Compute(x, [0]).Backward();
        Fixtures.AssertFinite(x.Grad);
        Assert.Throws<ArgumentOutOfRangeException>(() => loss.Compute(x, [3]));
    }
}
