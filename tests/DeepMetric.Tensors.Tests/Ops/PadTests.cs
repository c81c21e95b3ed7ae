using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class PadTests
{
    [Fact]
    public void Pads_each_axis_with_the_value_and_passes_the_interior_gradient()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var y = Ops.Pad(x, [1, 0], [0, 2], -7f);
        Assert.Equal([3, 5], y.Shape);
        Assert.Equal(new float[] { -7, -7, -7, -7, -7, 1, 2, 3, -7, -7, 4, 5, 6, -7, -7 }, y.ToArray());
        GradCheck.Check(t => Ops.Pad(t[0], [0, 1, 2, 0], [1, 0, 1, 3], 0.5f), [GradCheck.Random(7, [2, 2, 3, 2])]);
    }

    [Fact]
    public void Negative_amounts_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Pad(Tensor.Zeros(2, 2), [0, -1], [0, 0]));
    }
}
