using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Tests.Nn;

// Module plumbing that does not run the underlying NN ops: parameter layout, names, defaults, input checks.
public sealed class LayerModuleTests
{
    [Fact]
    public void Conv2dHasPyTorchLayoutAndInitBounds()
    {
        var conv = new Conv2d(3, 8, 5, rng: new Prng(1));
        Assert.Equal([8, 3, 5, 5], conv.Weight.Shape);
        Assert.Equal([8], conv.Bias!.Shape);
        Assert.Equal(["weight", "bias"], conv.NamedParameters().Select(p => p.Key));
        double bound = 1 / Math.Sqrt(3 * 25);
        Assert.All(conv.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(conv.Bias.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Null(new Conv2d(1, 1, 1, bias: false).Bias);
        Init.ManualSeed(5);
        var first = new Conv2d(2, 4, 3).Weight.ToArray();
        Init.ManualSeed(5);
        Assert.Equal(first, new Conv2d(2, 4, 3).Weight.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 4, 8, 8)));
        Assert.Contains("[1, 4, 8, 8]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchNormStateMatchesPyTorchNames()
    {
        var bn = new BatchNorm2d(4);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Keys);
        Assert.Equal(["weight", "bias"], bn.NamedParameters().Select(p => p.Key));
        Assert.All(bn.Weight!.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(bn.Bias!.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.RunningMean.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.RunningVar.ToArray(), v => Assert.Equal(1f, v));
        Assert.Equal(0, bn.NumBatchesTracked);
        Assert.Equal([], bn.StateDict()["num_batches_tracked"].Shape);
        Assert.Equal(0.1f, bn.Momentum);
        Assert.Equal(1e-5f, bn.Eps);

        var plain = new BatchNorm1d(3, affine: false);
        Assert.Empty(plain.NamedParameters());
        Assert.Equal(3, plain.NamedBuffers().Count());
        Assert.Throws<ArgumentException>(() => plain.Forward(Tensor.Zeros(2, 4)));
        Assert.Throws<ArgumentException>(() => bn.Forward(Tensor.Zeros(2, 4)));
    }

    [Fact]
    public void LayerNormAndEmbeddingParameters()
    {
        var ln = new LayerNorm(6);
        Assert.Equal(["weight", "bias"], ln.NamedParameters().Select(p => p.Key));
        Assert.Empty(new LayerNorm(6, elementwiseAffine: false).NamedParameters());
        Assert.Throws<ArgumentException>(() => ln.Forward(Tensor.Zeros(2, 5)));

        var emb = new Embedding(10, 4, new Prng(3));
        Assert.Equal([10, 4], emb.Weight.Shape);
        Assert.Equal(40, emb.ParameterCount);
        var ex = Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray([1f, 10f])));
        Assert.Contains("10", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray([1.5f])));
        Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray([float.NaN])));
        Assert.Throws<ArgumentOutOfRangeException>(() => emb.Forward([-1]));
    }

    [Fact]
    public void DropoutIsIdentityInEvalAndAtZero()
    {
        var x = Tensor.Rand(new Prng(4), [3, 5]);
        var drop = new Dropout(0.5f);
        drop.Eval();
        Assert.Same(x, drop.Forward(x));
        Assert.Same(x, new Dropout(0f).Forward(x));
    }

    [Fact]
    public void PoolingDefaultsStrideToKernel()
    {
        Assert.Equal(3, new MaxPool2d(3).Stride);
        Assert.Equal(1, new AvgPool2d(3, stride: 1).Stride);
        Assert.Throws<ArgumentException>(() => new MaxPool2d(2).Forward(Tensor.Zeros(2, 4, 4)));
    }
}
