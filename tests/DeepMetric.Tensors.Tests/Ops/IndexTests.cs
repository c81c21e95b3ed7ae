using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class IndexTests
{
    // x = [[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]], shape [2, 3, 2]
    private static Tensor Iota(params int[] shape) => Tensor.Arange(ShapeUtil.Product(shape)).Reshape(shape);

    [Fact]
    public void SliceAlongAxisZeroIsAView()
    {
        var x = Iota(4, 2);
        var s = Ops.Slice(x, 0, 1, 2);
        Assert.Equal([2, 2], s.Shape);
        Assertions.AllClose([2f, 3, 4, 5], s.ToArray());
        Assert.Same(x.Buffer, s.Buffer);
    }

    [Fact]
    public void SliceOfAViewKeepsOffsetsAndGradients()
    {
        var x = Iota(4, 3);
        x.RequiresGrad = true;
        var inner = Ops.Slice(Ops.Slice(x, 0, 1, 3), 0, 1, 2);
        Assertions.AllClose([6f, 7, 8, 9, 10, 11], inner.ToArray());
        var col = Ops.Slice(inner, 1, 2, 1);
        Assertions.AllClose([8f, 11], col.ToArray());
        Ops.Sum(col).Backward();
        Assertions.AllClose([0f, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1], x.Grad!.ToArray());
    }

    [Fact]
    public void SliceAlongInnerAxesCopies()
    {
        var x = Iota(2, 3, 2);
        var s1 = x.Slice(1, 1, 2);
        Assert.Equal([2, 2, 2], s1.Shape);
        Assertions.AllClose([2f, 3, 4, 5, 8, 9, 10, 11], s1.ToArray());
        var s2 = Ops.Slice(x, -1, 1, 1);
        Assert.Equal([2, 3, 1], s2.Shape);
        Assertions.AllClose([1f, 3, 5, 7, 9, 11], s2.ToArray());
        var empty = Ops.Slice(x, 1, 3, 0);
        Assert.Equal([2, 0, 2], empty.Shape);
    }

    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(1, 0, 2)]
    [InlineData(2, 1, 1)]
    [InlineData(1, 0, 3)]
    public void SliceGradientScattersIntoZeros(int axis, int start, int length)
    {
        var x = GradCheck.Random(21, [3, 3, 2]);
        GradCheck.Check(t => Ops.Slice(t[0], axis, start, length), [x]);
    }

    [Fact]
    public void SliceBackwardPutsZerosOutsideTheWindow()
    {
        var x = Iota(2, 3);
        x.RequiresGrad = true;
        Ops.Sum(Ops.Slice(x, 1, 1, 1) * 5f).Backward();
        Assertions.AllClose([0f, 5, 0, 0, 5, 0], x.Grad!.ToArray());
    }

    [Fact]
    public void SliceRejectsBadRanges()
    {
        var x = Tensor.Zeros(2, 3);
        Assert.Equal("start", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Slice(x, 1, 4, 0)).ParamName);
        Assert.Equal("start", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Slice(x, 1, -1, 1)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Slice(x, 1, 1, 3)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Slice(x, 0, 0, -1)).ParamName);
        Assert.Equal("axis", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Slice(x, 2, 0, 1)).ParamName);
        Assert.Throws<ArgumentException>(() => Ops.Slice(Tensor.Scalar(1f), 0, 0, 1));
    }

    [Fact]
    public void ConcatJoinsAlongAnyAxis()
    {
        var a = Iota(2, 2);
        var b = Tensor.FromArray([10f, 11, 12, 13, 14, 15], 2, 3);
        var c1 = Ops.Concat([a, b], 1);
        Assert.Equal([2, 5], c1.Shape);
        Assertions.AllClose([0f, 1, 10, 11, 12, 2, 3, 13, 14, 15], c1.ToArray());
        var c0 = Ops.Concat([a, Tensor.FromArray([7f, 8], 1, 2)], -2);
        Assert.Equal([3, 2], c0.Shape);
        Assertions.AllClose([0f, 1, 2, 3, 7, 8], c0.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void ConcatGradientsMatchFiniteDifferences(int axis)
    {
        var a = GradCheck.Random(1, [2, 3, 2]);
        var shape = new[] { 2, 3, 2 };
        shape[axis] = 1;
        var b = GradCheck.Random(2, shape);
        GradCheck.Check(t => Ops.Concat([t[0], t[1], t[0]], axis), [a, b]);
    }

    [Fact]
    public void ConcatRejectsMismatchedShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)], 1));
        Assert.Contains("[3, 3]", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Throws<ArgumentException>(() => Ops.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(6)], 0));
        Assert.Throws<ArgumentException>(() => Ops.Concat([], 0));
        Assert.Throws<ArgumentException>(() => Ops.Concat([Tensor.Scalar(1f)], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Concat([Tensor.Zeros(2)], 1));
    }

    [Fact]
    public void StackAddsANewAxis()
    {
        var a = Tensor.FromArray([1f, 2, 3]);
        var b = Tensor.FromArray([4f, 5, 6]);
        var s0 = Ops.Stack([a, b], 0);
        Assert.Equal([2, 3], s0.Shape);
        Assertions.AllClose([1f, 2, 3, 4, 5, 6], s0.ToArray());
        var s1 = Ops.Stack([a, b], -1);
        Assert.Equal([3, 2], s1.Shape);
        Assertions.AllClose([1f, 4, 2, 5, 3, 6], s1.ToArray());
        var single = Ops.Stack([Tensor.Scalar(7f)], 0);
        Assert.Equal([1], single.Shape);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void StackGradientsMatchFiniteDifferences(int axis)
    {
        var a = GradCheck.Random(3, [2, 3]);
        var b = GradCheck.Random(4, [2, 3]);
        GradCheck.Check(t => Ops.Stack([t[0], t[1], t[1]], axis), [a, b]);
    }

    [Fact]
    public void StackRejectsDifferentShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Stack([Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)], 0));
        Assert.Contains("tensor 1", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Stack([Tensor.Zeros(2)], 2));
        Assert.Throws<ArgumentException>(() => Ops.Stack([], 0));
    }

    [Fact]
    public void IndexSelectWithRepeatsAccumulatesGradient()
    {
        var x = Iota(3, 2);
        var s = x.IndexSelect(0, [2, 0, 2]);
        Assert.Equal([3, 2], s.Shape);
        Assertions.AllClose([4f, 5, 0, 1, 4, 5], s.ToArray());
        var c = Ops.IndexSelect(x, 1, [1, 1, 0, 1]);
        Assert.Equal([3, 4], c.Shape);
        Assertions.AllClose([1f, 1, 0, 1, 3, 3, 2, 3, 5, 5, 4, 5], c.ToArray());

        x.RequiresGrad = true;
        Ops.Sum(Ops.IndexSelect(x, 0, [2, 0, 2])).Backward();
        Assertions.AllClose([1f, 1, 0, 0, 2, 2], x.Grad!.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void IndexSelectGradientsMatchFiniteDifferences(int axis)
    {
        var x = GradCheck.Random(5, [3, 3, 3]);
        GradCheck.Check(t => Ops.IndexSelect(t[0], axis, [1, 1, 0, 2, 1]), [x]);
        GradCheck.Check(t => Ops.IndexSelect(t[0], axis, []), [x]);
    }

    [Fact]
    public void IndexSelectRejectsOutOfRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.IndexSelect(Tensor.Zeros(3, 2), 1, [0, 2]));
        Assert.Equal("indices", ex.ParamName);
        Assert.Contains("indices[1] = 2", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.IndexSelect(Tensor.Zeros(3), 0, [-1]));
    }

    [Fact]
    public void Gather2DReadsPairsAndScatterAddsGradient()
    {
        var d = Iota(3, 3);
        int[] a = [0, 2, 2, 1], p = [1, 0, 0, 2];
        var g = d[a, p];
        Assert.Equal([4], g.Shape);
        Assertions.AllClose([1f, 6, 6, 5], g.ToArray());

        d.RequiresGrad = true;
        Ops.Sum(d[a, p] * Tensor.FromArray([1f, 2, 3, 4])).Backward();
        Assertions.AllClose([0f, 1, 0, 0, 0, 4, 5, 0, 0], d.Grad!.ToArray());
        GradCheck.Check(t => Ops.Gather2D(t[0], a, p) - Ops.Gather2D(t[0], p, a), [GradCheck.Random(6, [3, 3])]);
    }

    [Fact]
    public void Gather2DValidatesArguments()
    {
        var m = Tensor.Zeros(2, 3);
        Assert.Equal("cols", Assert.Throws<ArgumentException>(() => Ops.Gather2D(m, [0, 1], [0])).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Gather2D(m, [2], [0])).ParamName);
        Assert.Equal("cols", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Gather2D(m, [1], [3])).ParamName);
        Assert.Equal("matrix", Assert.Throws<ArgumentException>(() => Ops.Gather2D(Tensor.Zeros(6), [0], [0])).ParamName);
        Assert.Empty(Ops.Gather2D(m, [], []).ToArray());
    }

    [Fact]
    public void GatherAlongAxisFollowsTorchGather()
    {
        var x = Iota(2, 3); // [[0, 1, 2], [3, 4, 5]]
        var picked = Ops.GatherAlongAxis(x, 1, [2, 0]);
        Assert.Equal([2, 1], picked.Shape);
        Assertions.AllClose([2f, 3], picked.ToArray());
        var two = Ops.GatherAlongAxis(x, 1, [2, 2, 1, 0]);
        Assert.Equal([2, 2], two.Shape);
        Assertions.AllClose([2f, 2, 4, 3], two.ToArray());
        // axis 0: result[j, c] = x[index[j, c], c]
        var rows = Ops.GatherAlongAxis(x, 0, [1, 0, 1, 0, 0, 0, 1, 1, 1]);
        Assert.Equal([3, 3], rows.Shape);
        Assertions.AllClose([3f, 1, 5, 0, 1, 2, 3, 4, 5], rows.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void GatherAlongAxisGradientsMatchFiniteDifferences(int axis)
    {
        var x = GradCheck.Random(7, [2, 3, 2]);
        int n = x.Dim(axis);
        int lanes = x.Size / n;
        var index = new int[lanes * 4];
        for (int i = 0; i < index.Length; i++)
        {
            index[i] = (i * 7 / 3) % n;
        }
        GradCheck.Check(t => Ops.GatherAlongAxis(t[0], axis, index), [x]);
    }

    [Fact]
    public void GatherAlongAxisValidatesIndex()
    {
        var x = Tensor.Zeros(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => Ops.GatherAlongAxis(x, 1, [0, 1, 2]));
        Assert.Equal("index", ex.ParamName);
        Assert.Contains("multiple of 2", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.GatherAlongAxis(x, 1, [0, 3]));
    }

    [Fact]
    public void ScatterAddAddsSlicesAtIndices()
    {
        var target = Iota(3, 2);
        var source = Tensor.FromArray([10f, 20, 30, 40, 50, 60], 3, 2);
        var r = Ops.ScatterAdd(target, 0, [2, 0, 2], source);
        Assertions.AllClose([30f, 41, 2, 3, 64, 85], r.ToArray());
        Assertions.AllClose([0f, 1, 2, 3, 4, 5], target.ToArray());
        var cols = Ops.ScatterAdd(target, 1, [1], Tensor.FromArray([1f, 2, 3], 3, 1));
        Assertions.AllClose([0f, 2, 2, 5, 4, 8], cols.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-2)]
    public void ScatterAddGradientsMatchFiniteDifferences(int axis)
    {
        var target = GradCheck.Random(8, [3, 3, 2]);
        var shape = target.Shape;
        int[] idx = [2, 0, 2, 1];
        shape[axis < 0 ? axis + 3 : axis] = idx.Length;
        var source = GradCheck.Random(9, shape);
        GradCheck.Check(t => Ops.ScatterAdd(t[0], axis, idx, t[1]), [target, source]);
    }

    [Fact]
    public void ScatterAddValidatesShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.ScatterAdd(Tensor.Zeros(3, 2), 0, [0, 1], Tensor.Zeros(3, 2)));
        Assert.Equal("source", ex.ParamName);
        Assert.Contains("[2, 2]", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.ScatterAdd(Tensor.Zeros(3, 2), 0, [3], Tensor.Zeros(1, 2)));
    }

    [Fact]
    public void TripletStyleLossThroughGatherHasCorrectGradient()
    {
        // relu(d[a,p] − d[a,n] + margin) summed, as a metric loss would compute it.
        var d = GradCheck.Random(10, [4, 4], 0f, 2f);
        int[] a = [0, 1, 1], p = [1, 0, 0], n = [2, 3, 2];
        GradCheck.Check(t => Ops.Relu(t[0][a, p] - t[0][a, n] + 5f), [d]);
    }
}
