using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class EmbeddingTests
{
    [Fact]
    public void GathersRows()
    {
        var w = Tensor.FromArray([0, 1, 10, 11, 20, 21], 3, 2);
        var y = Ops.Embedding(w, [2, 0, 2]);
        Assert.Equal([3, 2], y.Shape);
        Assertions.AllClose([20f, 21, 0, 1, 20, 21], y.ToArray(), 0, 0);
    }

    [Fact]
    public void BackwardScatterAddsRepeatedIndices()
    {
        var w = GradCheck.Random(1, [4, 3]);
        w.RequiresGrad = true;
        var g = Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3);
        Ops.Embedding(w, [1, 3, 1]).Backward(g);
        Assertions.AllClose([0f, 0, 0, 8, 10, 12, 0, 0, 0, 4, 5, 6], w.Grad!.ToArray(), 0, 0);
        GradCheck.Check(t => Ops.Embedding(t[0], [0, 2, 2, 1]), [GradCheck.Random(2, [3, 2])]);
    }

    [Fact]
    public void EmptyIndicesGiveEmptyOutput()
    {
        var y = Ops.Embedding(Tensor.Zeros(3, 4), []);
        Assert.Equal([0, 4], y.Shape);
    }

    [Fact]
    public void BadArguments()
    {
        var w = Tensor.Zeros(3, 2);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(w, [0, 3]));
        Assert.Contains("indices[1] = 3", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(w, [-1]));
        Assert.Contains("[V, D]", Assert.Throws<ArgumentException>(() => Ops.Embedding(Tensor.Zeros(3), [0])).Message);
    }
}
