using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Nn;

public sealed class ResidualTests
{
    // y[i, o] = Σ_k x[i, k] · w[o, k] + b[o], in double.
    private static double[,] LinearRef(float[] x, int n, int inF, Linear layer)
    {
        var w = layer.Weight.ToArray();
        var b = layer.Bias?.ToArray();
        int outF = layer.Weight.Dim(0);
        var y = new double[n, outF];
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < outF; o++)
            {
                double s = b is null ? 0 : b[o];
                for (int k = 0; k < inF; k++)
                {
                    s += (double)x[(i * inF) + k] * w[(o * inF) + k];
                }
                y[i, o] = s;
            }
        }
        return y;
    }

    [Fact]
    public void IdentityShortcutAddsTheInput()
    {
        var body = new Linear(3, 3, rng: new Prng(1));
        var block = new Residual(body);
        var x = GradCheck.Random(2, [4, 3]);
        var y = block.Forward(x).ToArray();
        var xs = x.ToArray();
        var f = LinearRef(xs, 4, 3, body);
        for (int i = 0; i < 4; i++)
        {
            for (int o = 0; o < 3; o++)
            {
                Assert.Equal(f[i, o] + xs[(i * 3) + o], y[(i * 3) + o], 5);
            }
        }
        Assert.Null(block.Shortcut);
        Assert.Equal(["body.weight", "body.bias"], block.NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void ProjectionShortcutAddsItsOutput()
    {
        var body = new Linear(3, 2, rng: new Prng(3));
        var shortcut = new Linear(3, 2, bias: false, rng: new Prng(4));
        var block = new Residual(body, shortcut);
        var x = GradCheck.Random(5, [3, 3]);
        var y = block.Forward(x).ToArray();
        var xs = x.ToArray();
        var f = LinearRef(xs, 3, 3, body);
        var s = LinearRef(xs, 3, 3, shortcut);
        for (int i = 0; i < 3; i++)
        {
            for (int o = 0; o < 2; o++)
            {
                Assert.Equal(f[i, o] + s[i, o], y[(i * 2) + o], 5);
            }
        }
        Assert.Equal(["body.weight", "body.bias", "shortcut.weight"], block.NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void SizeOneBatchWorks()
    {
        var block = new Residual(new Linear(1, 1, rng: new Prng(6)));
        var x = Tensor.FromArray([2f], 1, 1);
        var layer = (Linear)block.Body;
        double expected = 2.0 + (2.0 * layer.Weight.ToArray()[0]) + layer.Bias!.ToArray()[0];
        Assert.Equal(expected, block.Forward(x).ToArray()[0], 5);
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesDense()
    {
        var body = new Sequential(new Linear(3, 3, rng: new Prng(7)), new Tanh());
        var block = new Residual(body);
        var x = GradCheck.Random(8, [2, 3]);
        var w = ((Linear)body[0]).Weight;
        GradCheck.Check(t => block.Forward(t[0]), [x, w]);
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesConvWithProjection()
    {
        var rng = new Prng(9);
        var body = new Sequential(new Conv2d(1, 2, 3, stride: 2, padding: 1, rng: rng), new Tanh());
        var block = new Residual(body, new Conv2d(1, 2, 1, stride: 2, bias: false, rng: rng));
        var x = GradCheck.Random(10, [1, 1, 4, 4]);
        var projection = ((Conv2d)block.Shortcut!).Weight;
        GradCheck.Check(t => block.Forward(t[0]), [x, projection]);
    }

    [Fact]
    public void ProjectionHelperMatchesShapes()
    {
        var block = new Residual(new Conv2d(2, 4, 3, stride: 2, padding: 1, bias: false, rng: new Prng(11)), Residual.Projection(2, 4, 2, new Prng(12)));
        Assert.Equal([3, 4, 3, 3], block.Forward(GradCheck.Random(13, [3, 2, 5, 5])).Shape);
        Assert.Contains("shortcut.1.running_mean", block.StateDict().Keys);
    }

    [Fact]
    public void MismatchedShapesAndNullBodyThrow()
    {
        var block = new Residual(new Linear(3, 2, rng: new Prng(14)));
        var ex = Assert.Throws<InvalidOperationException>(() => block.Forward(Tensor.Zeros(2, 3)));
        Assert.Contains("[2, 2]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new Residual(null!));
        Assert.Throws<ArgumentNullException>(() => block.Forward(null!));
    }
}
