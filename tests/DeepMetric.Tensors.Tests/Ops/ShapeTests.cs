using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class ShapeTests
{
    [Fact]
    public void ReshapeIsAViewAndInfersMinusOne()
    {
        var x = Tensor.Arange(6);
        var y = Ops.Reshape(x, 2, -1);
        Assert.Equal([2, 3], y.Shape);
        Assert.Equal(5f, y[1, 2]);
        x[4] = 40f;
        Assert.Equal(40f, y[1, 1]);
        GradCheck.Check(t => Ops.Reshape(t[0], 3, 2) * Tensor.Arange(6).Reshape(3, 2), [GradCheck.Random(41, [2, 3])]);
        Assert.Throws<ArgumentException>(() => Ops.Reshape(x, 4, -1));
        Assert.Throws<ArgumentException>(() => Ops.Reshape(x, -1, -1));
        Assert.Throws<ArgumentException>(() => Ops.Reshape(x, 7));
        Assert.Throws<ArgumentException>(() => Ops.Reshape(x, 2, -3));
    }

    [Theory]
    [InlineData(new[] { 1, 0 })]
    [InlineData(new[] { 0, 2, 1 })]
    [InlineData(new[] { 2, 0, 1 })]
    [InlineData(new[] { 1, 2, 0 })]
    [InlineData(new[] { 3, 1, 0, 2 })]
    public void PermuteMovesElements(int[] axes)
    {
        int[] dims = axes.Length switch { 2 => [3, 4], 3 => [2, 3, 4], _ => [2, 3, 2, 2] };
        var x = GradCheck.Random(42, dims);
        var y = Ops.Permute(x, axes);
        for (int i = 0; i < axes.Length; i++)
        {
            Assert.Equal(dims[axes[i]], y.Dim(i));
        }
        // Every output multi-index j maps to input index with in[axes[i]] = j[i].
        var outIdx = new int[axes.Length];
        var inIdx = new int[axes.Length];
        for (int flat = 0; flat < y.Size; flat++)
        {
            int rem = flat;
            for (int i = axes.Length - 1; i >= 0; i--)
            {
                outIdx[i] = rem % y.Dim(i);
                rem /= y.Dim(i);
            }
            for (int i = 0; i < axes.Length; i++)
            {
                inIdx[axes[i]] = outIdx[i];
            }
            Assert.Equal(x[inIdx], y[outIdx]);
        }
        GradCheck.Check(t => Ops.Permute(t[0], axes), [x]);
    }

    [Fact]
    public void PermuteRejectsBadAxes()
    {
        var x = Tensor.Zeros(2, 3);
        Assert.Throws<ArgumentException>(() => Ops.Permute(x, 0));
        Assert.Throws<ArgumentException>(() => Ops.Permute(x, 1, 1));
        Assert.ThrowsAny<ArgumentException>(() => Ops.Permute(x, 0, 2));
    }

    [Fact]
    public void TransposeSwapsAxes()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var t = Ops.Transpose(x);
        Assert.Equal([3, 2], t.Shape);
        Assertions.AllClose([1f, 4, 2, 5, 3, 6], t.ToArray());
        var x3 = GradCheck.Random(43, [2, 3, 4]);
        var t3 = Ops.Transpose(x3, 0, 2);
        Assert.Equal([4, 3, 2], t3.Shape);
        Assert.Equal(x3[1, 2, 3], t3[3, 2, 1]);
        GradCheck.Check(v => Ops.Transpose(v[0]), [x3]);
        GradCheck.Check(v => Ops.Transpose(v[0], 0, 2), [x3]);
        GradCheck.Check(v => Ops.Transpose(v[0], -3, -2), [x3]);
        Assert.Throws<ArgumentException>(() => Ops.Transpose(Tensor.Zeros(3)));
    }

    [Fact]
    public void FlattenSqueezeUnsqueeze()
    {
        var x = GradCheck.Random(44, [2, 3, 4]);
        Assert.Equal([2, 12], Ops.Flatten(x).Shape);
        Assert.Equal([24], Ops.Flatten(x, 0).Shape);
        Assert.Equal([2, 3, 4], Ops.Flatten(x, 2).Shape);
        Assert.Equal([1], Ops.Flatten(Tensor.Scalar(3f)).Shape);
        Assertions.AllClose(x.ToArray(), Ops.Flatten(x).ToArray());
        GradCheck.Check(t => Ops.Flatten(t[0]), [x]);

        var y = GradCheck.Random(45, [3, 1, 2]);
        var s = Ops.Squeeze(y, 1);
        Assert.Equal([3, 2], s.Shape);
        Assertions.AllClose(y.ToArray(), s.ToArray());
        Assert.Equal([3, 2], Ops.Squeeze(y, -2).Shape);
        GradCheck.Check(t => Ops.Squeeze(t[0], 1), [y]);
        var ex = Assert.Throws<ArgumentException>(() => Ops.Squeeze(y, 0));
        Assert.Equal("axis", ex.ParamName);

        Assert.Equal([1, 3, 1, 2], Ops.Unsqueeze(y, 0).Shape);
        Assert.Equal([3, 1, 2, 1], Ops.Unsqueeze(y, -1).Shape);
        GradCheck.Check(t => Ops.Unsqueeze(t[0], 2), [y]);
    }

    [Fact]
    public void ViewsOfViewsPropagateGradient()
    {
        var x = GradCheck.Random(46, [2, 6]);
        GradCheck.Check(t => Ops.Transpose(Ops.Reshape(Ops.Flatten(t[0], 0), 3, 4)) * 2f, [x]);
    }
}
