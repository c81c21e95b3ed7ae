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
}
