using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class ArithmeticTests
{
    [Fact]
    public void AddBroadcastsRowAndColumn()
    {
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var row = Tensor.FromArray([10, 20, 30], 3);
        var col = Tensor.FromArray([100, 200], 2, 1);
        Assertions.AllClose([11f, 22, 33, 14, 25, 36], (a + row).ToArray());
        Assertions.AllClose([101f, 102, 103, 204, 205, 206], (a + col).ToArray());
        Assert.Equal([2, 3], (row + col).Shape);
        Assertions.AllClose([110f, 120, 130, 210, 220, 230], (row + col).ToArray());
    }

    [Fact]
    public void IncompatibleShapesNameBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    public static TheoryData<int[], int[]> BroadcastShapes => new()
    {
        { new[] { 3, 4 }, new[] { 3, 4 } },
        { new[] { 3, 4 }, new[] { 4 } },
        { new[] { 3, 1 }, new[] { 1, 4 } },
        { new[] { 2, 3, 4 }, new[] { 3, 1 } },
        { new[] { 1 }, new[] { 2, 3 } },
        { new[] { 2, 1, 4 }, new[] { 2, 3, 1 } },
        { new[] { 2, 3, 4 }, Array.Empty<int>() },
        { new[] { 4 }, new[] { 2, 3, 4 } },
        { new[] { 1, 3, 1 }, new[] { 2, 1, 5 } },
    };

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void BinaryGradientsMatchFiniteDifferences(int[] sa, int[] sb)
    {
        var a = GradCheck.Random(1, sa);
        var b = GradCheck.Random(2, sb, 0.5f, 2f);
        GradCheck.Check(x => x[0] + x[1], [a, b]);
        GradCheck.Check(x => x[0] - x[1], [a, b]);
        GradCheck.Check(x => x[0] * x[1], [a, b]);
        GradCheck.Check(x => x[0] / x[1], [a, b]);
        GradCheck.Check(x => Ops.Maximum(x[0], x[1] - 1.2f), [a, b]);
        GradCheck.Check(x => Ops.Minimum(x[0], x[1] - 1.2f), [a, b]);
    }

    [Fact]
    public void ScalarFormsHaveGradients()
    {
        var a = GradCheck.Random(3, [4, 5], 0.5f, 2f);
        GradCheck.Check(x => (2f - x[0]) * 3f + 1f, [a]);
        GradCheck.Check(x => 2f / x[0], [a]);
    }

    [Fact]
    public void GradientAccumulatesWhenATensorIsUsedTwice()
    {
        var x = Tensor.FromArray([1f, 2f, 3f]);
        x.RequiresGrad = true;
        var y = Ops.Sum(x * x + x);
        y.Backward();
        Assertions.AllClose([3f, 5f, 7f], x.Grad!.ToArray());
        var z = Ops.Sum(x * 2f);
        z.Backward();
        Assertions.AllClose([5f, 7f, 9f], x.Grad!.ToArray());
    }

    [Fact]
    public void SubMulDivForwardWithBroadcasting()
    {
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var row = Tensor.FromArray([1, 2, 4], 3);
        var col = Tensor.FromArray([2, -1], 2, 1);
        Assertions.AllClose([0f, 0, -1, 3, 3, 2], (a - row).ToArray());
        Assertions.AllClose([-1f, 0, 1, 5, 6, 7], (a - col).ToArray());
        Assertions.AllClose([1f, 4, 12, 4, 10, 24], (a * row).ToArray());
        Assertions.AllClose([2f, 4, 6, -4, -5, -6], (a * col).ToArray());
        Assertions.AllClose([1f, 1, 0.75f, 4, 2.5f, 1.5f], (a / row).ToArray());
        Assertions.AllClose([0.5f, 1, 1.5f, -4, -5, -6], (a / col).ToArray());
        Assertions.AllClose([-1f, 0, 2, 2, 3, 5], (row - col).ToArray());
        var s = Tensor.Scalar(2f);
        Assertions.AllClose([-1f, 0, 1, 2, 3, 4], (a - s).ToArray());
        Assert.Equal([2, 3], (s * a).Shape);
    }

    [Fact]
    public void ScalarFormsForward()
    {
        var a = Tensor.FromArray([1f, 2f, 4f]);
        Assertions.AllClose([3f, 4, 6], (a + 2f).ToArray());
        Assertions.AllClose([-1f, 0, 2], (a - 2f).ToArray());
        Assertions.AllClose([1f, 0, -2], (2f - a).ToArray());
        Assertions.AllClose([3f, 6, 12], (3f * a).ToArray());
        Assertions.AllClose([0.5f, 1, 2], (a / 2f).ToArray());
        Assertions.AllClose([4f, 2, 1], (4f / a).ToArray());
    }

    [Fact]
    public void MaximumMinimumForwardAndTieSplit()
    {
        var a = Tensor.FromArray([1f, 5f, 3f]);
        var b = Tensor.FromArray([2f, 4f, 3f]);
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        var mx = Ops.Maximum(a, b);
        Assertions.AllClose([2f, 5, 3], mx.ToArray());
        Ops.Sum(mx).Backward();
        Assertions.AllClose([0f, 1, 0.5f], a.Grad!.ToArray());
        Assertions.AllClose([1f, 0, 0.5f], b.Grad!.ToArray());
        a.Grad = null;
        b.Grad = null;
        var mn = Ops.Minimum(a, b);
        Assertions.AllClose([1f, 4, 3], mn.ToArray());
        Ops.Sum(mn).Backward();
        Assertions.AllClose([1f, 0, 0.5f], a.Grad!.ToArray());
        Assertions.AllClose([0f, 1, 0.5f], b.Grad!.ToArray());
    }

    [Fact]
    public void BroadcastGradientSumsOverExpandedAxes()
    {
        var a = Tensor.Ones(2, 3);
        var b = Tensor.FromArray([1f, 2f, 3f], 1, 3);
        b.RequiresGrad = true;
        Ops.Sum(a * b).Backward();
        Assertions.AllClose([2f, 2, 2], b.Grad!.ToArray());
        Assert.Equal([1, 3], b.Grad!.Shape);
    }

    [Fact]
    public void NullArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => Ops.Add(null!, Tensor.Zeros(1)));
        Assert.Throws<ArgumentNullException>(() => Ops.Div(Tensor.Zeros(1), null!));
    }
}
