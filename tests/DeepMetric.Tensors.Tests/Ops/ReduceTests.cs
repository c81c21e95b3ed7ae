using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class ReduceTests
{
    public enum Kind
    {
        Sum,
        Mean,
        Max,
        Min,
        LogSumExp,
        LogSumExpWithZero,
    }

    private static Tensor Apply(Kind kind, Tensor x, int axis, bool keepDim, Tensor? mask) => kind switch
    {
        Kind.Sum => Ops.Sum(x, axis, keepDim, mask),
        Kind.Mean => Ops.Mean(x, axis, keepDim, mask),
        Kind.Max => Ops.Max(x, axis, keepDim, mask, emptyValue: -7f),
        Kind.Min => Ops.Min(x, axis, keepDim, mask, emptyValue: 7f),
        Kind.LogSumExp => Ops.LogSumExp(x, axis, keepDim, mask),
        _ => Ops.LogSumExp(x, axis, keepDim, mask, includeZero: true),
    };

    /// <summary>Plain double reference: reduce axis of a row-major tensor; mask entries of 0 are skipped.</summary>
    private static double[] Reference(Kind kind, float[] x, int[] dims, int axis, float[]? mask)
    {
        int outer = 1, inner = 1, len = dims[axis];
        for (int i = 0; i < axis; i++)
        {
            outer *= dims[i];
        }
        for (int i = axis + 1; i < dims.Length; i++)
        {
            inner *= dims[i];
        }
        var r = new double[outer * inner];
        for (int o = 0; o < outer; o++)
        {
            for (int q = 0; q < inner; q++)
            {
                var kept = new List<double>();
                for (int j = 0; j < len; j++)
                {
                    int idx = (((o * len) + j) * inner) + q;
                    if (mask is null || mask[idx] != 0)
                    {
                        kept.Add(x[idx]);
                    }
                }
                double v;
                switch (kind)
                {
                    case Kind.Sum:
                        v = kept.Sum();
                        break;
                    case Kind.Mean:
                        v = kept.Count == 0 ? 0 : kept.Average();
                        break;
                    case Kind.Max:
                        v = kept.Count == 0 ? -7 : kept.Max();
                        break;
                    case Kind.Min:
                        v = kept.Count == 0 ? 7 : kept.Min();
                        break;
                    default:
                        double s = kind == Kind.LogSumExpWithZero ? 1 : 0;
                        foreach (double e in kept)
                        {
                            s += Math.Exp(e);
                        }
                        v = Math.Log(s);
                        break;
                }
                r[(o * inner) + q] = v;
            }
        }
        return r;
    }

    private static int[] ExpectedShape(int[] dims, int axis, bool keepDim)
    {
        var list = new List<int>(dims);
        if (keepDim)
        {
            list[axis] = 1;
        }
        else
        {
            list.RemoveAt(axis);
        }
        return [.. list];
    }

    public static TheoryData<Kind, int, bool> AllCases()
    {
        var data = new TheoryData<Kind, int, bool>();
        foreach (var kind in Enum.GetValues<Kind>())
        {
            foreach (int axis in new[] { 0, 1, 2, -1 })
            {
                data.Add(kind, axis, false);
                data.Add(kind, axis, true);
            }
        }
        return data;
    }

    private static readonly int[] s_dims = [2, 3, 4];

    [Theory]
    [MemberData(nameof(AllCases))]
    public void ForwardAndGradient(Kind kind, int axis, bool keepDim)
    {
        var x = GradCheck.Random(21, s_dims, -2f, 2f);
        int a = axis < 0 ? axis + 3 : axis;
        var y = Apply(kind, x, axis, keepDim, null);
        Assert.Equal(ExpectedShape(s_dims, a, keepDim), y.Shape);
        Assertions.AllClose(Reference(kind, x.ToArray(), s_dims, a, null), y.ToArray(), 1e-5, 1e-5);
        GradCheck.Check(t => Apply(kind, t[0], axis, keepDim, null), [x]);
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void MaskedForwardAndGradient(Kind kind, int axis, bool keepDim)
    {
        var x = GradCheck.Random(22, s_dims, -2f, 2f);
        int a = axis < 0 ? axis + 3 : axis;
        // Keep about two thirds of the entries, but at least one per reduced row (fully-masked rows are tested separately).
        var m = new float[x.Size];
        for (int i = 0; i < m.Length; i++)
        {
            // Index sum ≡ 1 (mod 3) is masked: never every entry along any axis.
            m[i] = ((i / 12) + (i / 4 % 3) + (i % 4)) % 3 == 1 ? 0f : 1f;
        }
        var mask = Tensor.FromArray(m, s_dims);
        var y = Apply(kind, x, axis, keepDim, mask);
        Assertions.AllClose(Reference(kind, x.ToArray(), s_dims, a, m), y.ToArray(), 1e-5, 1e-5);
        GradCheck.Check(t => Apply(kind, t[0], axis, keepDim, mask), [x]);
        // Masked entries get exactly zero gradient.
        x.Grad = null;
        Ops.Sum(Apply(kind, x, axis, keepDim, mask)).Backward();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < m.Length; i++)
        {
            if (m[i] == 0)
            {
                Assert.Equal(0f, g[i]);
            }
        }
    }

    [Theory]
    [InlineData(Kind.Sum, 0f)]
    [InlineData(Kind.Mean, 0f)]
    [InlineData(Kind.Max, -7f)]
    [InlineData(Kind.Min, 7f)]
    [InlineData(Kind.LogSumExp, float.NegativeInfinity)]
    [InlineData(Kind.LogSumExpWithZero, 0f)]
    public void FullyMaskedRowGivesEmptyValueAndZeroGradient(Kind kind, float empty)
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        x.RequiresGrad = true;
        var mask = Tensor.FromArray([0f, 0f, 0f, 1f, 0f, 1f], 2, 3);
        var y = Apply(kind, x, 1, false, mask);
        Assert.Equal(empty, y[0]);
        Assertions.Close(Reference(kind, x.ToArray(), [2, 3], 1, mask.ToArray())[1], y[1], 1e-5, 1e-5);
        y.Backward(Tensor.FromArray([1f, 1f]));
        var g = x.Grad!.ToArray();
        Assertions.AllFinite(g, "gradient");
        Assert.Equal(0f, g[0]);
        Assert.Equal(0f, g[1]);
        Assert.Equal(0f, g[2]);
        Assert.Equal(0f, g[4]);
    }

    [Fact]
    public void BroadcastMaskIsAccepted()
    {
        var x = GradCheck.Random(23, s_dims);
        var mask = Tensor.FromArray([1f, 0f, 1f, 1f, 1f, 0f, 1f, 1f], 2, 1, 4);
        var full = new float[x.Size];
        for (int i = 0; i < full.Length; i++)
        {
            int b = i / 12, c = i % 4;
            full[i] = mask[b, 0, c];
        }
        var y = Ops.Sum(x, 2, mask: mask);
        Assertions.AllClose(Reference(Kind.Sum, x.ToArray(), s_dims, 2, full), y.ToArray());
        GradCheck.Check(t => Ops.LogSumExp(t[0], 2, mask: mask), [x]);
        Assert.Throws<ArgumentException>(() => Ops.Sum(x, 2, mask: Tensor.Ones(5)));
    }

    [Fact]
    public void LogSumExpOfLargeValuesDoesNotOverflow()
    {
        var x = Tensor.FromArray([1e4f, 1e4f + 1f, 1e4f - 1f, -1e4f], 1, 4);
        x.RequiresGrad = true;
        var y = Ops.LogSumExp(x, 1);
        double expected = 1e4 + Math.Log(1 + Math.Exp(1) + Math.Exp(-1));
        Assertions.Close(expected, y[0], 2e-3, 0);
        y.Backward(Tensor.FromArray([1f]));
        var g = x.Grad!.ToArray();
        Assertions.AllFinite(g);
        double z = 1 + Math.E + (1 / Math.E);
        Assertions.AllClose([1 / z, Math.E / z, 1 / Math.E / z, 0], g, 2e-3, 1e-2);
        var yz = Ops.LogSumExp(Tensor.FromArray([1e4f, -1e4f], 1, 2), 1, includeZero: true);
        Assertions.Close(1e4, yz[0], 2e-3, 0);
        var neg = Ops.LogSumExp(Tensor.FromArray([-1e4f, -1e4f], 1, 2), 1, includeZero: true);
        Assertions.Close(0, neg[0], 1e-6, 0);
    }

    [Fact]
    public void IncludeZeroAddsOneToTheSum()
    {
        var x = Tensor.FromArray([0f, Single.Log(2f)], 1, 2);
        Assertions.Close(Math.Log(4), Ops.LogSumExp(x, 1, includeZero: true)[0]);
        Assertions.Close(Math.Log(3), Ops.LogSumExp(x, 1)[0]);
    }

    [Fact]
    public void FullReductions()
    {
        var x = GradCheck.Random(24, [3, 5]);
        double s = 0;
        foreach (float v in x.ToArray())
        {
            s += v;
        }
        Assertions.Close(s, Ops.Sum(x).Item());
        Assertions.Close(s / 15, Ops.Mean(x).Item());
        GradCheck.Check(t => Ops.Sum(t[0]), [x]);
        GradCheck.Check(t => Ops.Mean(t[0]), [x]);
        Assert.Equal(0f, Ops.Mean(Tensor.Zeros(0)).Item());
    }

    [Fact]
    public void MaxGradientGoesToFirstMaximum()
    {
        var x = Tensor.FromArray([1f, 3f, 3f, 2f], 1, 4);
        x.RequiresGrad = true;
        Ops.Max(x, 1).Backward(Tensor.FromArray([1f]));
        Assertions.AllClose([0f, 1, 0, 0], x.Grad!.ToArray());
    }

    [Fact]
    public void EmptyAxisGivesEmptyValues()
    {
        var x = Tensor.Zeros(2, 0);
        Assertions.AllClose([0f, 0], Ops.Sum(x, 1).ToArray());
        Assertions.AllClose([0f, 0], Ops.Mean(x, 1).ToArray());
        Assertions.AllClose([-7f, -7], Ops.Max(x, 1, emptyValue: -7f).ToArray());
        Assert.Equal(float.NegativeInfinity, Ops.LogSumExp(x, 1)[1]);
        Assert.Equal([3], Ops.Sum(Tensor.Zeros(0, 3), 0).Shape);
    }

    [Fact]
    public void BadAxisIsRejected()
    {
        Assert.ThrowsAny<ArgumentException>(() => Ops.Sum(Tensor.Zeros(2, 3), 2));
        Assert.ThrowsAny<ArgumentException>(() => Ops.Sum(Tensor.Scalar(1f), 0));
    }
}
