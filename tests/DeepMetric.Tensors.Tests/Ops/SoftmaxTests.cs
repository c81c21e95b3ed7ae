using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class SoftmaxTests
{
    /// <summary>Reference softmax along an axis, in double, written independently of the engine.</summary>
    private static double[] RefSoftmax(float[] x, int[] dims, int axis, bool log)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++)
        {
            outer *= dims[i];
        }
        for (int i = axis + 1; i < dims.Length; i++)
        {
            inner *= dims[i];
        }
        int n = dims[axis];
        var r = new double[x.Length];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                double m = double.NegativeInfinity;
                for (int k = 0; k < n; k++)
                {
                    m = Math.Max(m, x[(((o * n) + k) * inner) + i]);
                }
                double s = 0;
                for (int k = 0; k < n; k++)
                {
                    s += Math.Exp(x[(((o * n) + k) * inner) + i] - m);
                }
                for (int k = 0; k < n; k++)
                {
                    int at = (((o * n) + k) * inner) + i;
                    r[at] = log ? x[at] - m - Math.Log(s) : Math.Exp(x[at] - m) / s;
                }
            }
        }
        return r;
    }

    [Fact]
    public void SoftmaxOfHandWorkedRow()
    {
        // e^0 : e^ln3 = 1 : 3
        var y = Ops.Softmax(Tensor.FromArray([0f, MathF.Log(3f)]));
        Assertions.AllClose([0.25f, 0.75f], y.ToArray());
        var ly = Ops.LogSoftmax(Tensor.FromArray([0f, MathF.Log(3f)]));
        Assertions.AllClose([Math.Log(0.25), Math.Log(0.75)], ly.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void ForwardMatchesDoubleReferenceOnEveryAxis(int axis)
    {
        var x = GradCheck.Random(7, [3, 4, 5], -3f, 3f);
        int a = axis < 0 ? axis + 3 : axis;
        Assertions.AllClose(RefSoftmax(x.ToArray(), x.Shape, a, log: false), Ops.Softmax(x, axis).ToArray(), 1e-6);
        Assertions.AllClose(RefSoftmax(x.ToArray(), x.Shape, a, log: true), Ops.LogSoftmax(x, axis).ToArray(), 1e-5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void GradientsMatchFiniteDifferences(int axis)
    {
        var x = GradCheck.Random(11, [2, 3, 4], -2f, 2f);
        GradCheck.Check(t => Ops.Softmax(t[0], axis), [x]);
        GradCheck.Check(t => Ops.LogSoftmax(t[0], axis), [x]);
    }

    [Fact]
    public void SizeOneAxisGivesProbabilityOne()
    {
        var x = GradCheck.Random(3, [4, 1]);
        Assertions.AllClose([1f, 1f, 1f, 1f], Ops.Softmax(x).ToArray());
        Assertions.AllClose([0f, 0f, 0f, 0f], Ops.LogSoftmax(x).ToArray());
        GradCheck.Check(t => Ops.Softmax(t[0]), [x]);
    }

    [Fact]
    public void NegativeInfinityEntriesGetZeroProbabilityAndNoNaN()
    {
        var x = Tensor.FromArray([0f, float.NegativeInfinity, MathF.Log(3f)]);
        x.RequiresGrad = true;
        var y = Ops.Softmax(x);
        Assertions.AllClose([0.25f, 0f, 0.75f], y.ToArray());
        Ops.Sum(y * Tensor.FromArray([1f, 2f, 3f])).Backward();
        // dx = y ⊙ (g − ⟨g, y⟩) with ⟨g, y⟩ = 0.25 + 2.25 = 2.5.
        Assertions.AllClose([0.25f * -1.5f, 0f, 0.75f * 0.5f], x.Grad!.ToArray());

        var x2 = Tensor.FromArray([0f, float.NegativeInfinity, MathF.Log(3f)]);
        x2.RequiresGrad = true;
        var ly = Ops.LogSoftmax(x2);
        Assert.Equal(float.NegativeInfinity, ly[1]);
        Assertions.Close(Math.Log(0.75), ly[2]);
        Ops.Sum(Ops.Slice(ly, 0, 2, 1)).Backward();
        // d log p₂ / dx = onehot₂ − p
        Assertions.AllClose([-0.25f, 0f, 0.25f], x2.Grad!.ToArray());
    }

    [Fact]
    public void LargeValuesDoNotOverflow()
    {
        var data = new[] { 1e4f, 1e4f - 1f, -1e4f, 1e4f - 0.5f };
        var x = Tensor.FromArray(data, 1, 4);
        Assertions.AllClose(RefSoftmax(data, [1, 4], 1, log: false), Ops.Softmax(x).ToArray(), 1e-6);
        Assertions.AllClose(RefSoftmax(data, [1, 4], 1, log: true), Ops.LogSoftmax(x).ToArray(), 1e-5);
        x.RequiresGrad = true;
        Ops.Sum(Ops.LogSoftmax(x) * Tensor.FromArray([1f, 2f, 3f, 4f], 1, 4)).Backward();
        Assertions.AllFinite(x.Grad!.ReadOnlySpan, "grad");
    }

    [Fact]
    public void AllNegativeInfinityRowGivesZerosAndZeroGradient()
    {
        float ninf = float.NegativeInfinity;
        var x = Tensor.FromArray([ninf, ninf, ninf, 0f, 0f, MathF.Log(2f)], 2, 3);
        x.RequiresGrad = true;
        var y = Ops.Softmax(x);
        Assertions.AllClose([0f, 0f, 0f, 0.25f, 0.25f, 0.5f], y.ToArray());
        var g = Tensor.FromArray([1f, 2f, 3f, 1f, 2f, 3f], 2, 3);
        Ops.Sum(y * g).Backward();
        Assertions.AllFinite(x.Grad!.ReadOnlySpan, "softmax grad");
        Assertions.AllClose([0f, 0f, 0f], x.Grad!.ToArray().AsSpan(0, 3));

        var x2 = Tensor.FromArray([ninf, ninf, ninf, 0f, 0f, MathF.Log(2f)], 2, 3);
        x2.RequiresGrad = true;
        var ly = Ops.LogSoftmax(x2);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(ninf, ly[0, j]);
        }
        Assertions.AllClose([Math.Log(0.25), Math.Log(0.25), Math.Log(0.5)], ly.ToArray().AsSpan(3, 3));
        ly.Backward(Tensor.Ones(2, 3));
        Assertions.AllFinite(x2.Grad!.ReadOnlySpan, "log-softmax grad");
        Assertions.AllClose([0f, 0f, 0f], x2.Grad!.ToArray().AsSpan(0, 3));
    }

    [Fact]
    public void AllNegativeInfinityColumnOnNonLastAxis()
    {
        float ninf = float.NegativeInfinity;
        var x = Tensor.FromArray([ninf, 0f, ninf, MathF.Log(3f)], 2, 2);
        x.RequiresGrad = true;
        var y = Ops.Softmax(x, axis: 0);
        Assertions.AllClose([0f, 0.25f, 0f, 0.75f], y.ToArray());
        y.Backward(Tensor.FromArray([1f, 1f, 2f, 3f], 2, 2));
        Assertions.AllFinite(x.Grad!.ReadOnlySpan);
        Assert.Equal(0f, x.Grad![0, 0]);
        Assert.Equal(0f, x.Grad![1, 0]);
    }

    [Fact]
    public void ScalarInputIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Softmax(Tensor.Scalar(1f)));
        Assert.Equal("x", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.LogSoftmax(Tensor.Zeros(2, 3), 2));
    }

    /// <summary>Mean smoothed cross-entropy in double: −Σ_c q_c log p_c averaged over rows.</summary>
    private static double RefCrossEntropy(float[] x, int rows, int classes, int[] targets, double eps)
    {
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                m = Math.Max(m, x[(r * classes) + c]);
            }
            double s = 0;
            for (int c = 0; c < classes; c++)
            {
                s += Math.Exp(x[(r * classes) + c] - m);
            }
            for (int c = 0; c < classes; c++)
            {
                double q = (c == targets[r] ? 1 - eps : 0) + (eps / classes);
                double logp = x[(r * classes) + c] - m - Math.Log(s);
                total -= q * logp;
            }
        }
        return total / rows;
    }

    [Fact]
    public void CrossEntropyOfHandWorkedRow()
    {
        var logits = Tensor.FromArray([0f, MathF.Log(3f), 0f, MathF.Log(3f)], 2, 2);
        Assertions.Close((-Math.Log(0.75) - Math.Log(0.25)) / 2, Ops.CrossEntropy(logits, [1, 0]).Item());
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    [InlineData(1f)]
    public void CrossEntropyMatchesDoubleLoop(float eps)
    {
        var x = GradCheck.Random(5, [4, 6], -4f, 4f);
        int[] t = [0, 5, 2, 2];
        var loss = Ops.CrossEntropy(x, t, eps);
        Assert.Empty(loss.Shape);
        Assertions.Close(RefCrossEntropy(x.ToArray(), 4, 6, t, eps), loss.Item(), 1e-5);
    }

    [Fact]
    public void CrossEntropyGradientIsSoftmaxMinusTargetOverN()
    {
        var x = GradCheck.Random(9, [3, 4], -2f, 2f);
        int[] t = [3, 0, 1];
        const float Eps = 0.2f;
        x.RequiresGrad = true;
        Ops.CrossEntropy(x, t, Eps).Backward();
        var p = RefSoftmax(x.ToArray(), [3, 4], 1, log: false);
        var expected = new double[12];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                double q = (c == t[r] ? 1 - Eps : 0) + (Eps / 4);
                expected[(r * 4) + c] = (p[(r * 4) + c] - q) / 3;
            }
        }
        Assertions.AllClose(expected, x.Grad!.ToArray(), 1e-6);
        GradCheck.Check(z => Ops.CrossEntropy(z[0], t, Eps), [GradCheck.Random(10, [3, 4], -2f, 2f)]);
        GradCheck.Check(z => Ops.CrossEntropy(z[0], t) * 3f, [GradCheck.Random(12, [3, 4], -2f, 2f)]);
    }

    [Fact]
    public void CrossEntropyWithLargeLogitsIsStable()
    {
        var x = Tensor.FromArray([1e4f, 0f, -1e4f, 1e4f - 2f, 1e4f, 1e4f], 2, 3);
        Assertions.Close(RefCrossEntropy(x.ToArray(), 2, 3, [1, 0], 0.1), Ops.CrossEntropy(x, [1, 0], 0.1f).Item(), 1e-3, 1e-6);
    }

    [Fact]
    public void CrossEntropyValidatesArguments()
    {
        var x = Tensor.Zeros(2, 3);
        var low = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CrossEntropy(x, [0, -1]));
        Assert.Equal("targets", low.ParamName);
        Assert.Contains("targets[1] = -1", low.Message);
        var high = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CrossEntropy(x, [3, 0]));
        Assert.Contains("[0, 3)", high.Message);
        var len = Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(x, [0]));
        Assert.Equal("targets", len.ParamName);
        Assert.Contains("1 targets", len.Message);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(Tensor.Zeros(6), [0])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CrossEntropy(x, [0, 1], 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CrossEntropy(x, [0, 1], float.NaN));
    }

    [Fact]
    public void CrossEntropyOfEmptyBatchIsZero()
    {
        var x = Tensor.Zeros(0, 3);
        x.RequiresGrad = true;
        var loss = Ops.CrossEntropy(x, []);
        Assert.Equal(0f, loss.Item());
        loss.Backward();
        Assert.Equal([0, 3], x.Grad!.Shape);
    }

    [Fact]
    public void L2NormalizeHandWorked()
    {
        var x = Tensor.FromArray([3f, 4f, 0f, -5f], 2, 2);
        Assertions.AllClose([0.6f, 0.8f, 0f, -1f], Ops.L2Normalize(x).ToArray());
        // Columns: (3, 0) and (4, −5).
        double n1 = Math.Sqrt(41);
        Assertions.AllClose([1.0, 4 / n1, 0, -5 / n1], x.L2Normalize(axis: 0).ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    public void L2NormalizeGradientMatchesFiniteDifferences(int axis)
    {
        var x = GradCheck.Random(13, [3, 4, 2], 0.2f, 1f);
        // Flip some signs so vectors point in assorted directions while staying away from 0.
        var s = x.Span;
        for (int i = 0; i < s.Length; i += 3)
        {
            s[i] = -s[i];
        }
        GradCheck.Check(t => Ops.L2Normalize(t[0], axis), [x]);
    }

    [Fact]
    public void L2NormalizeOfZeroVectorHasFiniteGradient()
    {
        var x = Tensor.FromArray([0f, 0f, 0f, 1f, 2f, 2f], 2, 3);
        x.RequiresGrad = true;
        var y = Ops.L2Normalize(x);
        Assertions.AllClose([0f, 0f, 0f, 1f / 3, 2f / 3, 2f / 3], y.ToArray());
        Ops.Sum(y * Tensor.FromArray([1f, 2f, 3f, 1f, 2f, 3f], 2, 3)).Backward();
        Assertions.AllFinite(x.Grad!.ReadOnlySpan, "grad");
        // Below eps the op is x/eps, so the gradient there is g/eps.
        Assertions.Close(1.0 / 1e-12, x.Grad![0, 0], 0, 1e-5);
        // Second row: (g − y⟨y, g⟩)/‖x‖ with ⟨y, g⟩ = (1 + 4 + 6)/3 = 11/3.
        double dot = 11.0 / 3;
        Assertions.AllClose([(1 - (dot / 3)) / 3, (2 - (2 * dot / 3)) / 3, (3 - (2 * dot / 3)) / 3], x.Grad!.ToArray().AsSpan(3, 3));

        var z = Tensor.Zeros(4);
        z.RequiresGrad = true;
        Ops.Sum(Ops.L2Normalize(z, eps: 1e-6f)).Backward();
        Assertions.AllClose([1e6f, 1e6f, 1e6f, 1e6f], z.Grad!.ToArray(), 0, 1e-5);
    }

    [Fact]
    public void L2NormalizeHandlesHugeAndTinyVectors()
    {
        var x = Tensor.FromArray([3e20f, 4e20f, 3e-20f, 4e-20f], 2, 2);
        var y = Ops.L2Normalize(x, eps: 1e-30f);
        Assertions.AllClose([0.6f, 0.8f, 0.6f, 0.8f], y.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.L2Normalize(x, eps: 0f));
    }
}
