using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class SubCenterArcFaceLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 2, 0];

    [Theory]
    [InlineData(3, 0.5f, 64f)]
    [InlineData(2, 0.3f, 6f)]
    [InlineData(1, 0.5f, 10f)]
    public void Value_MatchesDoubleLoop(int k, float margin, float scale)
    {
        var loss = new SubCenterArcFaceLoss(3, 4, k, margin * (180f / MathF.PI), scale, seed: 5);
        Assert.Equal([3 * k, 4], loss.Weight.Shape);
        var x = Fixtures.RandomEmbeddings(11, Labels.Length, 4);
        var rowCos = ClassifierReference.Cosines(x.ToArray(), Labels.Length, loss.Weight.ToArray(), 3 * k, 4);
        var cos = new double[Labels.Length, 3];
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                cos[i, c] = double.NegativeInfinity;
                for (int j = 0; j < k; j++)
                {
                    cos[i, c] = Math.Max(cos[i, c], rowCos[i, (c * k) + j]);
                }
            }
        }
        double expected = ClassifierReference.MarginSoftmax(cos, Labels, scale, c =>
        {
            double t = Math.Acos(c);
            return t + margin < Math.PI ? Math.Cos(t + margin) : c - (margin * Math.Sin(margin));
        });
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), expected * 1e-4 + 1e-4);
    }

    [Fact]
    public void Gradient_EmbeddingsAndWeights_MatchFiniteDifferences()
    {
        var loss = new SubCenterArcFaceLoss(3, 3, subCenters: 2, margin: 0.4f * (180f / MathF.PI), scale: 3f, seed: 7);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(8, [Labels.Length, 3]), loss.Weight]);
    }

    [Fact]
    public void Stress_Scale64_WrongClass_AndOneSample_AreFinite()
    {
        var loss = new SubCenterArcFaceLoss(2, 3, seed: 1);
        var w = loss.Weight.ToArray();
        // Row 3 is the first sub-centre of class 1; label the embedding as class 0.
        var x = Tensor.FromArray([w[9], w[10], w[11]], 1, 3);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [0]);
        Assert.True(float.IsFinite(l.Item()));
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Weight.Grad);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SubCenterArcFaceLoss(2, 3, subCenters: 0));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SubCenterArcFaceLoss(2, 3).Compute(Fixtures.RandomEmbeddings(1, 1, 3), [2]));
        Assert.Contains("[0, 2)", ex.Message, StringComparison.Ordinal);
    }
}
