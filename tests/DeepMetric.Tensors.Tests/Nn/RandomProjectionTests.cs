using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Nn;

public sealed class RandomProjectionTests
{
    [Fact]
    public void ProjectsFlattenedItemsWithAFixedBuffer()
    {
        var p = new RandomProjection(6, 4, seed: 3);
        Assert.Empty(p.Parameters());
        Assert.Equal(["matrix"], p.StateDict().Keys);
        var x = GradCheck.Random(1, [2, 1, 2, 3]);
        var y = p.Forward(x).ToArray();
        var xs = x.ToArray();
        var r = p.Matrix.ToArray();
        for (int i = 0; i < 2; i++)
        {
            for (int o = 0; o < 4; o++)
            {
                double s = 0;
                for (int k = 0; k < 6; k++)
                {
                    s += (double)xs[(i * 6) + k] * r[(k * 4) + o];
                }
                Assert.Equal(s, y[(i * 4) + o], 5);
            }
        }
        Assert.Equal(r, new RandomProjection(6, 4, seed: 3).Matrix.ToArray());
        Assert.NotEqual(r, new RandomProjection(6, 4, seed: 4).Matrix.ToArray());
    }

    [Fact]
    public void RoughlyPreservesLengths()
    {
        // Entries N(0, 1/out): E‖xR‖² = ‖x‖²; with 512 outputs the ratio is within a few percent.
        var p = new RandomProjection(100, 512, seed: 5);
        var x = GradCheck.Random(6, [1, 100]);
        double before = x.ToArray().Sum(v => (double)v * v);
        double after = p.Forward(x).ToArray().Sum(v => (double)v * v);
        Assert.InRange(after / before, 0.8, 1.2);
    }

    [Fact]
    public void GradientFlowsToTheInputOnly()
    {
        var p = new RandomProjection(3, 2, seed: 7);
        GradCheck.Check(t => p.Forward(t[0]), [GradCheck.Random(8, [2, 3])]);
        Assert.Null(p.Matrix.Grad);
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomProjection(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomProjection(2, 0));
        var ex = Assert.Throws<ArgumentException>(() => new RandomProjection(5, 2).Forward(Tensor.Zeros(2, 4)));
        Assert.Contains("5", ex.Message, StringComparison.Ordinal);
    }
}
