using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Nn;

public sealed class SequentialTests
{
    [Fact]
    public void ParametersAreNamedByPositionLikePyTorch()
    {
        var seq = new Sequential(new Flatten(), new Linear(6, 4), new ReLU(), new Linear(4, 2, bias: false), new BatchNorm1d(2));
        Assert.Equal(["1.weight", "1.bias", "3.weight", "4.weight", "4.bias"], seq.NamedParameters().Select(p => p.Key));
        Assert.Equal(["4.running_mean", "4.running_var", "4.num_batches_tracked"], seq.NamedBuffers().Select(p => p.Key));
        Assert.Equal(["0", "1", "2", "3", "4"], seq.NamedChildren().Select(c => c.Key));
    }

    [Fact]
    public void IndexerCountAddAndInitialiser()
    {
        var a = new ReLU();
        var b = new Linear(2, 2);
        var seq = new Sequential { a, b };
        Assert.Equal(2, seq.Count);
        Assert.Same(a, seq[0]);
        Assert.Same(b, seq[1]);
        Assert.Equal([a, b], seq);
        Assert.Same(seq, seq.Add(new Tanh()));
        Assert.Equal(3, seq.Count);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => seq[3]);
        Assert.Equal("index", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => seq[-1]);
        Assert.Throws<ArgumentNullException>(() => seq.Add(null!));
        Assert.Contains("(1): Linear(in=2, out=2, bias=True)", seq.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardAppliesModulesInOrder()
    {
        var x = Tensor.FromArray([-1f, 0.5f, 2f, -3f], 2, 2);
        var seq = new Sequential(new ReLU(), new Tanh());
        double[] expected = [0, Math.Tanh(0.5), Math.Tanh(2), 0];
        Assertions.AllClose(expected, seq.Forward(x).ToArray());
        var reversed = new Sequential(new Tanh(), new ReLU());
        double[] expected2 = [0, Math.Tanh(0.5), Math.Tanh(2), 0];
        Assertions.AllClose(expected2, reversed.Forward(x).ToArray());
    }

    [Fact]
    public void EmptySequentialIsIdentity()
    {
        var x = Tensor.Rand(new Prng(1), [3]);
        Assert.Same(x, new Sequential().Forward(x));
        Assert.Equal("Sequential()", new Sequential().ToString());
    }

    [Fact]
    public void FlattenThenLinearWorksOnImages()
    {
        var seq = new Sequential(new Flatten(), new Linear(12, 3, rng: new Prng(2)));
        var x = Tensor.Rand(new Prng(3), [2, 3, 2, 2]);
        var y = seq.Forward(x);
        Assert.Equal([2, 3], y.Shape);
        var direct = ((Linear)seq[1]).Forward(x.Reshape(2, 12));
        Assertions.AllClose(direct.ToArray(), y.ToArray(), 0, 0);
    }
}
