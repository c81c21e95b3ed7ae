using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Nn;

public sealed class ActivationModuleTests
{
    private static readonly float[] s_inputs = [-30f, -2f, -0.5f, 0f, 0.25f, 1f, 3f, 40f];

    private static void Check(Module m, Func<double, double> f, double tol = 1e-6)
    {
        var y = m.Forward(Tensor.FromArray(s_inputs, 2, 4));
        Assert.Equal([2, 4], y.Shape);
        var expected = s_inputs.Select(v => f(v)).ToArray();
        Assertions.AllClose(expected, y.ToArray(), tol, tol);
        Assert.Empty(m.NamedParameters());
    }

    [Fact]
    public void ElementwiseActivationsMatchTheirFormulas()
    {
        Check(new ReLU(), v => Math.Max(v, 0));
        Check(new LeakyReLU(), v => v > 0 ? v : 0.01 * v);
        Check(new LeakyReLU(0.2f), v => v > 0 ? v : 0.2 * v);
        Check(new Sigmoid(), v => 1 / (1 + Math.Exp(-v)));
        Check(new Tanh(), Math.Tanh);
        Check(new Softplus(), v => v > 20 ? v : Math.Log(1 + Math.Exp(v)));
        Check(new Identity(), v => v);
    }

    [Fact]
    public void GeluMatchesTabulatedValues()
    {
        // x·Φ(x) with Φ(1) = 0.841344746068543, Φ(2) = 0.977249868051821.
        var y = new GELU().Forward(Tensor.FromArray([0f, 1f, -1f, 2f, -2f]));
        double[] expected = [0, 0.841344746068543, -0.158655253931457, 1.954499736103642, -0.045500263896358];
        Assertions.AllClose(expected, y.ToArray(), 1e-6, 1e-6);
    }

    [Fact]
    public void IdentityReturnsTheSameTensor()
    {
        var x = Tensor.Ones(2);
        Assert.Same(x, new Identity().Forward(x));
    }

    [Fact]
    public void FlattenKeepsLeadingAxes()
    {
        var x = Tensor.Arange(24).Reshape(2, 3, 4);
        Assert.Equal([2, 12], new Flatten().Forward(x).Shape);
        Assert.Equal([24], new Flatten(0).Forward(x).Shape);
        Assert.Equal([2, 3, 4], new Flatten(-1).Forward(x).Shape);
        Assert.Equal(x.ToArray(), new Flatten().Forward(x).ToArray());
    }

    [Fact]
    public void BadConstructorArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyReLU(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new L2Normalize(eps: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool2d(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AvgPool2d(2, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AvgPool2d(2, padding: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 1, 3, dilation: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 1, 3, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm2d(3, momentum: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNorm(4, eps: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(0, 3));
    }
}
