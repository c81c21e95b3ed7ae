using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class ArcFaceLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    /// <summary>The paper's target logit via the angle: cos(θ + m) while θ + m ≤ π, else the reference code's cos θ − m·sin m.</summary>
    private static double Psi(double c, double m, bool easy)
    {
        double theta = Math.Acos(Math.Clamp(c, -1, 1));
        if (easy)
        {
            return c > 0 ? Math.Cos(theta + m) : c;
        }
        return theta + m < Math.PI ? Math.Cos(theta + m) : c - (m * Math.Sin(m));
    }

    [Theory]
    [InlineData(0.5f, 64f, false, 1UL)]
    [InlineData(0.3f, 10f, false, 2UL)]
    [InlineData(0.5f, 64f, true, 3UL)]
    [InlineData(1.2f, 8f, false, 4UL)] // large margin: some targets hit the θ + m > π fallback
    public void Value_MatchesDoubleLoop(float margin, float scale, bool easy, ulong seed)
    {
        var loss = new ArcFaceLoss(4, 5, margin * (180f / MathF.PI), scale, easy, seed);
        var x = Fixtures.RandomEmbeddings(seed + 10, Labels.Length, 5);
        var cos = ClassifierReference.Cosines(x.ToArray(), Labels.Length, loss.Weight.ToArray(), 4, 5);
        double expected = ClassifierReference.MarginSoftmax(cos, Labels, scale, c => Psi(c, margin, easy));
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), expected * 1e-4 + 1e-4);
    }

    [Fact]
    public void Fallback_IsUsedBeyondPiMinusMargin()
    {
        // Embedding opposite to its class weight: θ = π, so cos(θ + m) would increase again; the fallback gives −1 − m·sin m.
        var loss = new ArcFaceLoss(2, 2, margin: 0.5f * (180f / MathF.PI), scale: 1f);
        loss.Weight.Span[0] = 1f; loss.Weight.Span[1] = 0f; loss.Weight.Span[2] = 0f; loss.Weight.Span[3] = 1f;
        var x = Tensor.FromArray([-1f, 0f], 1, 2);
        double psi = -1 - (0.5 * Math.Sin(0.5));
        double expected = ClassifierReference.CrossEntropy([psi, 0], 0);
        Assert.Equal(expected, loss.Compute(x, [0]).Item(), 5);
    }

    [Fact]
    public void Gradient_EmbeddingsAndWeights_MatchFiniteDifferences()
    {
        var loss = new ArcFaceLoss(4, 3, margin: 0.4f * (180f / MathF.PI), scale: 3f, seed: 7);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(8, [Labels.Length, 3]), loss.Weight]);
    }

    [Fact]
    public void Stress_Scale64_WrongClass_IsFinite()
    {
        var loss = new ArcFaceLoss(3, 4, seed: 2);
        // Every embedding sits exactly on another class's weight (cos = 1 for the wrong class).
        var w = loss.Weight.ToArray();
        int[] labels = [0, 1, 2, 0];
        int[] onClass = [1, 2, 0, 2];
        var data = new float[16];
        for (int i = 0; i < 4; i++)
        {
            Array.Copy(w, onClass[i] * 4, data, i * 4, 4);
        }
        var x = Tensor.FromArray(data, 4, 4);
        x.RequiresGrad = true;
        var l = loss.Compute(x, labels);
        Assert.True(float.IsFinite(l.Item()) && l.Item() > 30f, $"loss {l.Item()}");
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Weight.Grad);
    }

    [Fact]
    public void Stress_AlignedWithOwnClass_AndDuplicates_AreFinite()
    {
        var loss = new ArcFaceLoss(2, 3, seed: 3);
        var w = loss.Weight.ToArray();
        var x = Tensor.FromArray([w[0], w[1], w[2], w[0], w[1], w[2], 0f, 0f, 0f], 3, 3);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [0, 0, 1]);
        Assert.True(float.IsFinite(l.Item()));
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Weight.Grad);
    }

    [Fact]
    public void OneSample_IsFinite()
    {
        var loss = new ArcFaceLoss(3, 2);
        var x = Fixtures.RandomEmbeddings(9, 1, 2);
        loss.Compute(x, [2]).Backward();
        Fixtures.AssertFinite(x.Grad);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ArcFaceLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 2, 2), [0, 3]));
        Assert.Equal("labels", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArcFaceLoss(3, 2, margin: 2f * (180f / MathF.PI)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArcFaceLoss(3, 2, scale: 0f));
    }
}
