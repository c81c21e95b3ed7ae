using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class CompareTests
{
    private static readonly Func<float, float, bool>[] s_reference =
    [
        (x, y) => x == y,
        (x, y) => x != y,
        (x, y) => x > y,
        (x, y) => x >= y,
        (x, y) => x < y,
        (x, y) => x <= y,
    ];

    private static Tensor Compare(int op, Tensor a, Tensor b) => op switch
    {
        0 => Ops.Eq(a, b),
        1 => Ops.Ne(a, b),
        2 => Ops.Gt(a, b),
        3 => Ops.Ge(a, b),
        4 => Ops.Lt(a, b),
        _ => Ops.Le(a, b),
    };

    private static Tensor Compare(int op, Tensor a, float c) => op switch
    {
        0 => Ops.Eq(a, c),
        1 => Ops.Ne(a, c),
        2 => Ops.Gt(a, c),
        3 => Ops.Ge(a, c),
        4 => Ops.Lt(a, c),
        _ => Ops.Le(a, c),
    };

    [Fact]
    public void HandWorkedComparisons()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, float.NaN]);
        var b = Tensor.FromArray([2f, 2f, 2f, float.NaN]);
        Assertions.AllClose([0f, 1, 0, 0], Ops.Eq(a, b).ToArray());
        Assertions.AllClose([1f, 0, 1, 1], Ops.Ne(a, b).ToArray());
        Assertions.AllClose([0f, 0, 1, 0], Ops.Gt(a, b).ToArray());
        Assertions.AllClose([0f, 1, 1, 0], Ops.Ge(a, b).ToArray());
        Assertions.AllClose([1f, 0, 0, 0], Ops.Lt(a, b).ToArray());
        Assertions.AllClose([1f, 1, 0, 0], Ops.Le(a, b).ToArray());
        Assertions.AllClose([0f, 0, 1, 0], Ops.Gt(a, 2f).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(67)]
    public void EveryLengthMatchesScalarReference(int length)
    {
        // Values from a small set so equality is common; covers every SIMD tail length used here.
        var a = GradCheck.Random(31, [length], -2f, 2f);
        var b = GradCheck.Random(32, [length], -2f, 2f);
        var sa = a.Span;
        var sb = b.Span;
        for (int i = 0; i < length; i++)
        {
            sa[i] = MathF.Round(sa[i]);
            sb[i] = MathF.Round(sb[i]);
        }
        sa[0] = float.NaN;
        for (int op = 0; op < 6; op++)
        {
            var tt = Compare(op, a, b).ToArray();
            var tc = Compare(op, a, 1f).ToArray();
            var ct = Compare(op, Tensor.Scalar(1f), b).ToArray();
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(s_reference[op](sa[i], sb[i]) ? 1f : 0f, tt[i]);
                Assert.Equal(s_reference[op](sa[i], 1f) ? 1f : 0f, tc[i]);
                Assert.Equal(s_reference[op](1f, sb[i]) ? 1f : 0f, ct[i]);
            }
        }
    }

    [Fact]
    public void ComparisonsBroadcast()
    {
        // Label-equality mask of a batch: labels as a column against labels as a row.
        var labels = Tensor.FromArray([0f, 1f, 0f]);
        var same = Ops.Eq(labels.Reshape(3, 1), labels.Reshape(1, 3));
        Assert.Equal([3, 3], same.Shape);
        Assertions.AllClose([1f, 0, 1, 0, 1, 0, 1, 0, 1], same.ToArray());
        var col = Tensor.FromArray([1f, 2f], 2, 1);
        var row = Tensor.FromArray([0f, 1f, 2f, 3f], 1, 4);
        var lt = Ops.Lt(col, row).ToArray();
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(i + 1 < j ? 1f : 0f, lt[(i * 4) + j]);
            }
        }
        Assert.Throws<ArgumentException>(() => Ops.Eq(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
    }

    [Fact]
    public void MasksCarryNoGradient()
    {
        var x = GradCheck.Random(1, [3]);
        x.RequiresGrad = true;
        Assert.False(Ops.Gt(x, 0f).RequiresGrad);
        Assert.False(Ops.Eq(x, x).RequiresGrad);
        Assert.False(Ops.LogicalNot(x).RequiresGrad);
    }

    [Fact]
    public void LogicalOps()
    {
        var a = Tensor.FromArray([0f, 1f, 0f, 2f]);
        var b = Tensor.FromArray([0f, 0f, 1f, -1f]);
        Assertions.AllClose([0f, 0, 0, 1], Ops.LogicalAnd(a, b).ToArray());
        Assertions.AllClose([0f, 1, 1, 1], Ops.LogicalOr(a, b).ToArray());
        Assertions.AllClose([1f, 0, 1, 0], Ops.LogicalNot(a).ToArray());
        var grid = Ops.LogicalAnd(Tensor.FromArray([1f, 0f], 2, 1), Tensor.FromArray([1f, 1f, 0f], 1, 3));
        Assertions.AllClose([1f, 1, 0, 0, 0, 0], grid.ToArray());
    }

    [Fact]
    public void WhereSelectsAndRoutesGradient()
    {
        var mask = Tensor.FromArray([1f, 0f, 1f, 0f]);
        var a = Tensor.FromArray([1f, 2f, 3f, 4f]);
        var b = Tensor.FromArray([10f, 20f, 30f, 40f]);
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        var y = Ops.Where(mask, a, b);
        Assertions.AllClose([1f, 20, 3, 40], y.ToArray());
        Ops.Sum(y * Tensor.FromArray([1f, 2f, 3f, 4f])).Backward();
        Assertions.AllClose([1f, 0, 3, 0], a.Grad!.ToArray());
        Assertions.AllClose([0f, 2, 0, 4], b.Grad!.ToArray());
    }

    [Fact]
    public void WhereBroadcastsAllOperands()
    {
        var mask = Tensor.FromArray([1f, 0f, 1f], 3, 1);
        var a = Tensor.FromArray([1f, 2f], 1, 2);
        var b = Tensor.Scalar(-1f);
        var y = Ops.Where(mask, a, b);
        Assert.Equal([3, 2], y.Shape);
        Assertions.AllClose([1f, 2, -1, -1, 1, 2], y.ToArray());
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        Ops.Sum(Ops.Where(mask, a, b)).Backward();
        Assertions.AllClose([2f, 2f], a.Grad!.ToArray());
        Assertions.AllClose([2f], b.Grad!.ToArray());
    }

    public static TheoryData<int[], int[], int[]> WhereShapes => new()
    {
        { new[] { 3, 4 }, new[] { 3, 4 }, new[] { 3, 4 } },
        { new[] { 3, 1 }, new[] { 1, 4 }, new[] { 4 } },
        { new[] { 4 }, new[] { 2, 3, 4 }, new[] { 3, 1 } },
        { new[] { 2, 1, 4 }, new[] { 1 }, new[] { 2, 3, 1 } },
    };

    [Theory]
    [MemberData(nameof(WhereShapes))]
    public void WhereGradientsMatchFiniteDifferences(int[] sm, int[] sa, int[] sb)
    {
        var mask = Ops.Gt(GradCheck.Random(40, sm), 0f);
        var a = GradCheck.Random(41, sa);
        var b = GradCheck.Random(42, sb);
        GradCheck.Check(t => Ops.Where(mask, t[0] * t[0], t[1] * 2f), [a, b]);
    }

    [Fact]
    public void WhereWithNoGradientInputsRecordsNothing()
    {
        var y = Ops.Where(Tensor.Ones(2), Tensor.Zeros(2), Tensor.Zeros(2));
        Assert.False(y.RequiresGrad);
        Assert.Throws<ArgumentException>(() => Ops.Where(Tensor.Ones(3), Tensor.Zeros(2), Tensor.Zeros(2)));
    }
}
