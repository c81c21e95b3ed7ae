using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class UnaryTests
{
    private static readonly float[] s_points = [-3f, -1.5f, -0.25f, 0f, 0.5f, 1f, 2.5f];

    private static void CheckForward(Func<Tensor, Tensor> op, Func<double, double> reference, float[] xs, double tol = 1e-6)
    {
        var y = op(Tensor.FromArray(xs)).ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            Assertions.Close(reference(xs[i]), y[i], tol, tol, $"f({xs[i]})");
        }
    }

    /// <summary>Random input of shape [3, 4] with every entry at least <paramref name="margin"/> away from the kinks.</summary>
    private static Tensor AwayFrom(ulong seed, float[] kinks, float margin = 0.05f, float lo = -2f, float hi = 2f)
    {
        var t = GradCheck.Random(seed, [3, 4], lo, hi);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            foreach (float k in kinks)
            {
                if (Math.Abs(s[i] - k) < margin)
                {
                    s[i] = k + (s[i] >= k ? margin : -margin);
                }
            }
        }
        return t;
    }

    [Fact]
    public void NegExpLogSqrt()
    {
        CheckForward(Ops.Neg, x => -x, s_points);
        CheckForward(Ops.Exp, Math.Exp, s_points);
        CheckForward(Ops.Log, Math.Log, [0.1f, 0.5f, 1f, 2f, 100f]);
        CheckForward(Ops.Sqrt, Math.Sqrt, [0f, 0.25f, 1f, 2f, 9f]);
        GradCheck.Check(x => Ops.Neg(x[0]), [GradCheck.Random(1, [3, 4])]);
        GradCheck.Check(x => Ops.Exp(x[0]), [GradCheck.Random(2, [3, 4])]);
        GradCheck.Check(x => Ops.Log(x[0]), [GradCheck.Random(3, [3, 4], 0.3f, 3f)]);
        GradCheck.Check(x => Ops.Sqrt(x[0]), [GradCheck.Random(4, [3, 4], 0.3f, 3f)]);
    }

    [Fact]
    public void LogEdgeValues()
    {
        var y = Ops.Log(Tensor.FromArray([0f, -1f])).ToArray();
        Assert.Equal(float.NegativeInfinity, y[0]);
        Assert.True(float.IsNaN(y[1]));
    }

    [Fact]
    public void SqrtAtZeroHasZeroGradient()
    {
        var x = Tensor.FromArray([0f, 4f]);
        x.RequiresGrad = true;
        Ops.Sum(Ops.Sqrt(x)).Backward();
        Assert.Equal(0f, x.Grad![0]);
        Assertions.Close(0.25, x.Grad![1]);
    }

    [Theory]
    [InlineData(2f)]
    [InlineData(1f)]
    [InlineData(3f)]
    [InlineData(0.5f)]
    [InlineData(-1f)]
    [InlineData(1.7f)]
    public void PowForwardAndGradient(float p)
    {
        CheckForward(x => Ops.Pow(x, p), x => Math.Pow(x, p), [0.25f, 1f, 1.5f, 3f], 1e-5);
        GradCheck.Check(x => Ops.Pow(x[0], p), [GradCheck.Random(5, [3, 4], 0.4f, 2f)]);
    }

    [Fact]
    public void PowAtZeroHasFiniteGradient()
    {
        foreach (float p in new[] { 0.5f, 2f, 3f })
        {
            var x = Tensor.FromArray([0f, 1f]);
            x.RequiresGrad = true;
            Ops.Sum(Ops.Pow(x, p)).Backward();
            Assert.Equal(0f, x.Grad![0]);
            Assertions.Close(p, x.Grad![1]);
        }
    }

    [Fact]
    public void AbsAndClamp()
    {
        CheckForward(Ops.Abs, Math.Abs, s_points);
        CheckForward(x => Ops.Clamp(x, -1f, 1f), x => Math.Clamp(x, -1, 1), s_points);
        CheckForward(x => Ops.Clamp(x, min: 0f), x => Math.Max(x, 0), s_points);
        CheckForward(x => Ops.Clamp(x, max: 0.5f), x => Math.Min(x, 0.5), s_points);
        GradCheck.Check(x => Ops.Abs(x[0]), [AwayFrom(6, [0f])]);
        GradCheck.Check(x => Ops.Clamp(x[0], -1f, 1f), [AwayFrom(7, [-1f, 1f])]);
        var z = Tensor.FromArray([0f, -2f, 2f]);
        z.RequiresGrad = true;
        Ops.Sum(Ops.Abs(z)).Backward();
        Assertions.AllClose([0f, -1, 1], z.Grad!.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => Ops.Clamp(Tensor.Zeros(2), 1f, -1f));
        Assert.Equal("min", ex.ParamName);
    }

    [Fact]
    public void MaximumMinimumGradientsAwayFromTies()
    {
        var a = AwayFrom(8, [0f]);
        var b = GradCheck.Random(9, [4], -0.5f, 0.5f);
        GradCheck.Check(x => Ops.Maximum(x[0], x[1]), [a, b]);
        GradCheck.Check(x => Ops.Minimum(x[0], x[1]), [a, b]);
    }

    [Fact]
    public void ReluAndLeakyRelu()
    {
        CheckForward(Ops.Relu, x => Math.Max(x, 0), s_points);
        CheckForward(x => Ops.LeakyRelu(x), x => x > 0 ? x : 0.01 * x, s_points);
        CheckForward(x => Ops.LeakyRelu(x, 0.2f), x => x > 0 ? x : 0.2 * x, s_points);
        GradCheck.Check(x => Ops.Relu(x[0]), [AwayFrom(10, [0f])]);
        GradCheck.Check(x => Ops.LeakyRelu(x[0], 0.2f), [AwayFrom(11, [0f])]);
        var z = Tensor.FromArray([0f]);
        z.RequiresGrad = true;
        Ops.Sum(Ops.Relu(z)).Backward();
        Assert.Equal(0f, z.Grad![0]);
    }

    [Fact]
    public void GeluMatchesTabulatedValues()
    {
        // x·Φ(x) with Φ from standard normal tables (high-precision values).
        float[] xs = [-2f, -1f, 0f, 1f, 2f];
        double[] expected = [-0.045500263896358, -0.158655253931457, 0, 0.841344746068543, 1.954499736103642];
        var y = Ops.Gelu(Tensor.FromArray(xs)).ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            Assertions.Close(expected[i], y[i], 1e-6, 1e-6);
        }
        GradCheck.Check(x => Ops.Gelu(x[0]), [GradCheck.Random(12, [3, 4], -3f, 3f)]);
    }

    [Fact]
    public void SigmoidTanhSoftplus()
    {
        CheckForward(Ops.Sigmoid, x => 1 / (1 + Math.Exp(-x)), s_points);
        CheckForward(Ops.Tanh, Math.Tanh, s_points);
        CheckForward(Ops.Softplus, x => Math.Log(1 + Math.Exp(x)), s_points);
        GradCheck.Check(x => Ops.Sigmoid(x[0]), [GradCheck.Random(13, [3, 4], -4f, 4f)]);
        GradCheck.Check(x => Ops.Tanh(x[0]), [GradCheck.Random(14, [3, 4], -2f, 2f)]);
        GradCheck.Check(x => Ops.Softplus(x[0]), [GradCheck.Random(15, [3, 4], -4f, 4f)]);
    }

    [Fact]
    public void SoftplusAndSigmoidDoNotOverflow()
    {
        var x = Tensor.FromArray([-100f, 100f, 1000f]);
        x.RequiresGrad = true;
        var y = Ops.Softplus(x);
        Assertions.AllFinite(y.ToArray());
        Assertions.Close(100, y[1], 1e-4, 1e-6);
        Assertions.Close(1000, y[2], 1e-3, 1e-6);
        Ops.Sum(y).Backward();
        Assertions.AllClose([0f, 1, 1], x.Grad!.ToArray(), 1e-6);
        var s = Ops.Sigmoid(Tensor.FromArray([-100f, 100f])).ToArray();
        Assertions.AllClose([0f, 1], s, 1e-6);
    }

    [Fact]
    public void UnaryKeepsShapeAndAcceptsScalars()
    {
        var x = Tensor.Scalar(2f);
        x.RequiresGrad = true;
        var y = Ops.Exp(x);
        Assert.Empty(y.Shape);
        y.Backward();
        Assertions.Close(Math.Exp(2), x.Grad!.Item(), 1e-5, 1e-6);
        Assert.Throws<ArgumentNullException>(() => Ops.Exp(null!));
    }
}
