using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Nn;

public sealed class LinearTests
{
    private static double[] Reference(float[] x, int n, int inF, float[] w, float[]? b, int outF)
    {
        var y = new double[n * outF];
        for (int r = 0; r < n; r++)
        {
            for (int o = 0; o < outF; o++)
            {
                double s = b is null ? 0 : b[o];
                for (int i = 0; i < inF; i++)
                {
                    s += (double)x[(r * inF) + i] * w[(o * inF) + i];
                }
                y[(r * outF) + o] = s;
            }
        }
        return y;
    }

    [Theory]
    [InlineData(1, 1, 1, true)]
    [InlineData(5, 7, 3, true)]
    [InlineData(4, 33, 17, false)]
    [InlineData(2, 64, 65, true)]
    public void ForwardMatchesDoubleLoop(int n, int inF, int outF, bool bias)
    {
        var layer = new Linear(inF, outF, bias, new Prng(7));
        var x = Tensor.Rand(new Prng(8), [n, inF], -1f, 1f);
        var y = layer.Forward(x);
        Assert.Equal([n, outF], y.Shape);
        var expected = Reference(x.ToArray(), n, inF, layer.Weight.ToArray(), layer.Bias?.ToArray(), outF);
        Assertions.AllClose(expected, y.ToArray(), 1e-5, 1e-5);
    }

    [Fact]
    public void AcceptsVectorAndHigherRankInputs()
    {
        var layer = new Linear(3, 2, rng: new Prng(1));
        var x = Tensor.Rand(new Prng(2), [2, 4, 3], -1f, 1f);
        var y = layer.Forward(x);
        Assert.Equal([2, 4, 2], y.Shape);
        var expected = Reference(x.ToArray(), 8, 3, layer.Weight.ToArray(), layer.Bias!.ToArray(), 2);
        Assertions.AllClose(expected, y.ToArray());

        var v = Tensor.FromArray([0.5f, -1f, 2f]);
        var yv = layer.Forward(v);
        Assert.Equal([2], yv.Shape);
        Assertions.AllClose(Reference(v.ToArray(), 1, 3, layer.Weight.ToArray(), layer.Bias.ToArray(), 2), yv.ToArray());
    }

    [Fact]
    public void GradientsReachWeightBiasAndInput()
    {
        var layer = new Linear(4, 3, rng: new Prng(3));
        var x = GradCheck.Random(4, [2, 4]);
        GradCheck.Check(t => Ops.Sum(layer.Forward(t[0]) * layer.Forward(t[0])), [x]);
        layer.ZeroGrad();
        var loss = Ops.Sum(layer.Forward(x));
        loss.Backward();
        Assert.NotNull(layer.Weight.Grad);
        // d(sum y)/db = N for every output.
        Assertions.AllClose([2f, 2f, 2f], layer.Bias!.Grad!.ToArray());
    }

    [Fact]
    public void InitialisationFollowsPyTorchBounds()
    {
        const int InF = 400, OutF = 300;
        var layer = new Linear(InF, OutF, rng: new Prng(11));
        double bound = 1.0 / Math.Sqrt(InF);
        var w = layer.Weight.ToArray();
        double sum = 0, sq = 0;
        foreach (float v in w)
        {
            Assert.InRange(v, -bound, bound);
            sum += v;
            sq += (double)v * v;
        }
        double mean = sum / w.Length;
        double variance = (sq / w.Length) - (mean * mean);
        Assert.InRange(mean, -0.01 * bound, 0.01 * bound);
        Assertions.Close(bound * bound / 3, variance, 0, 0.01, "weight variance");
        foreach (float v in layer.Bias!.ToArray())
        {
            Assert.InRange(v, -bound, bound);
        }
        Assert.True(layer.Weight.RequiresGrad);
        Assert.True(layer.Bias.RequiresGrad);
    }

    [Fact]
    public void ConstructionIsDeterministic()
    {
        Init.ManualSeed(21);
        var first = new Linear(5, 4).Weight.ToArray();
        var second = new Linear(5, 4).Weight.ToArray();
        Init.ManualSeed(21);
        Assert.Equal(first, new Linear(5, 4).Weight.ToArray());
        // Two layers of the same shape built one after the other must not start identical.
        Assert.NotEqual(first, second);
        Assert.Equal(new Linear(5, 4, rng: new Prng(9)).Bias!.ToArray(), new Linear(5, 4, rng: new Prng(9)).Bias!.ToArray());
        Assert.NotEqual(new Linear(5, 4, rng: new Prng(9)).Weight.ToArray(), new Linear(5, 4, rng: new Prng(10)).Weight.ToArray());
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(3, -1));
        var layer = new Linear(3, 2);
        var ex = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(2, 4)));
        Assert.Contains("[2, 4]", ex.Message);
        Assert.Equal("x", ex.ParamName);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Scalar(1f)));
        Assert.Null(new Linear(3, 2, bias: false).Bias);
        Assert.Equal(6, new Linear(3, 2, bias: false).ParameterCount);
    }
}
