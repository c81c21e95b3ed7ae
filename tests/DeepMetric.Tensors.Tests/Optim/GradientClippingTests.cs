using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Optim;

public sealed class GradientClippingTests
{
    private static (Tensor A, Tensor B, Tensor NoGrad) Params(float[] ga, float[] gb) =>
        (new Tensor(new float[ga.Length], [ga.Length]) { RequiresGrad = true, Grad = Tensor.FromArray(ga, ga.Length) },
         new Tensor(new float[gb.Length], [gb.Length]) { RequiresGrad = true, Grad = Tensor.FromArray(gb, gb.Length) },
         new Tensor(new float[2], [2]) { RequiresGrad = true });

    [Fact]
    public void ClipsToMaxL2Norm()
    {
        // Norm of [3, 4] and [12] is 13.
        var (a, b, none) = Params([3f, 4f], [12f]);
        double norm = GradientClipping.ClipGradNorm([a, b, none], 1.3f);
        Assertions.Close(13.0, norm, 1e-9, 0);
        double scale = 1.3 / (13.0 + 1e-6);
        Assertions.AllClose([3 * scale, 4 * scale], a.Grad!.ReadOnlySpan);
        Assertions.AllClose([12 * scale], b.Grad!.ReadOnlySpan);
        Assert.Null(none.Grad);
    }

    [Fact]
    public void LeavesGradientsUnchangedBelowMaxNorm()
    {
        var (a, b, _) = Params([3f, 4f], [12f]);
        double norm = GradientClipping.ClipGradNorm([a, b], 13.5f);
        Assertions.Close(13.0, norm, 1e-9, 0);
        Assert.Equal([3f, 4f], a.Grad!.ToArray());
        Assert.Equal([12f], b.Grad!.ToArray());
    }

    [Fact]
    public void InfinityNormIsMaxMagnitude()
    {
        var (a, b, _) = Params([3f, -7f], [2f]);
        double norm = GradientClipping.ClipGradNorm([a, b], 3.5f, float.PositiveInfinity);
        Assert.Equal(7.0, norm);
        double scale = 3.5 / (7 + 1e-6);
        Assertions.AllClose([3 * scale, -7 * scale], a.Grad!.ReadOnlySpan);
        Assertions.AllClose([2 * scale], b.Grad!.ReadOnlySpan);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(2f)]
    [InlineData(3f)]
    [InlineData(0.5f)]
    public void PNormOfLongGradientsMatchesDoubleLoop(float p)
    {
        // Length 37 exercises both the SIMD loop and the scalar tail.
        var ga = new float[37];
        for (int i = 0; i < ga.Length; i++)
        {
            ga[i] = (float)Math.Sin(i * 0.9) * (i % 5 - 2);
        }
        var (a, b, _) = Params(ga, [0.25f, -1.5f]);
        double sum = 0;
        foreach (float v in ga.Concat([0.25f, -1.5f]))
        {
            sum += Math.Pow(Math.Abs((double)v), p);
        }
        double expected = Math.Pow(sum, 1.0 / p);
        Assertions.Close(expected, GradientClipping.ClipGradNorm([a, b], 1e6f, p), 0, 1e-12);
    }

    [Fact]
    public void NoGradientsGiveZeroNorm()
    {
        var p = new Tensor([1f], [1]) { RequiresGrad = true };
        Assert.Equal(0.0, GradientClipping.ClipGradNorm([p], 1f));
        Assert.Equal(0.0, GradientClipping.ClipGradNorm([], 1f, float.PositiveInfinity));
    }

    [Fact]
    public void ZeroGradientsStayZero()
    {
        var (a, _, _) = Params([0f, 0f], [0f]);
        Assert.Equal(0.0, GradientClipping.ClipGradNorm([a], 0f));
        Assert.Equal([0f, 0f], a.Grad!.ToArray());
    }

    [Theory]
    [InlineData(float.NaN, 2f)]
    [InlineData(float.PositiveInfinity, 2f)]
    [InlineData(float.NaN, float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity, float.PositiveInfinity)]
    public void NonFiniteNormIsReturnedOrThrows(float bad, float normType)
    {
        var (a, b, _) = Params([3f, bad], [12f]);
        double norm = GradientClipping.ClipGradNorm([a, b], 1f, normType);
        Assert.False(double.IsFinite(norm));
        Assert.Equal(3f, a.Grad![0]);
        Assert.Equal([12f], b.Grad!.ToArray());
        var ex = Assert.Throws<InvalidOperationException>(() => GradientClipping.ClipGradNorm([a, b], 1f, normType, errorIfNonFinite: true));
        Assert.Contains("not clipped", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var (a, _, _) = Params([1f], [1f]);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm([a], -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm([a], float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm([a], 1f, 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm([a], 1f, float.NaN));
        Assert.Throws<ArgumentNullException>(() => GradientClipping.ClipGradNorm(null!, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradValue([a], -0.5f));
    }

    [Fact]
    public void ClipGradValueClamps()
    {
        var (a, b, none) = Params([-3f, 0.5f, 2f, float.NaN], [-0.25f]);
        GradientClipping.ClipGradValue([a, b, none], 1f);
        var ga = a.Grad!.ToArray();
        Assert.Equal([-1f, 0.5f, 1f], ga[..3]);
        Assert.True(float.IsNaN(ga[3]));
        Assert.Equal([-0.25f], b.Grad!.ToArray());
        Assert.Null(none.Grad);
    }
}
