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

    // Windows of the crafted 4×6 plane (2×2 pooling): ties of positives, all zeros (±0), negative only, a NaN, a
    // NaN among negatives, and a positive maximum next to zeros.
    private static readonly float[] s_crafted =
    [
        3, 3, -0f, 0, -5, -2,
        1, 3, 0, -0f, -7, -3,
        float.NaN, 1, -1, -2, 0, 0,
        2, 0, float.NaN, -3, 0, 0.5f,
    ];

    public static TheoryData<int, int?, int> Pools => new() { { 2, null, 0 }, { 3, 2, 1 }, { 2, 1, 0 } };

    [Theory]
    [MemberData(nameof(Pools))]
    public void ReluThenMaxPool_IsFusedWithIdenticalValuesAndGradients(int kernel, int? stride, int padding)
    {
        // Identity 1×1 convolution so the crafted windows reach the ReLU unchanged, plus a random 3×3 one.
        var identity = new Conv2d(1, 1, 1, bias: false);
        identity.Weight.Span.Fill(1f);
        var x = Tensor.FromArray(s_crafted, 1, 1, 4, 6);
        AssertSameAsUnfused(identity, x, kernel, stride, padding);

        var conv = new Conv2d(2, 3, 3, padding: 1, rng: new Prng(3));
        var xr = Tensor.RandN(new Prng(4), [2, 2, 7, 9]);
        AssertSameAsUnfused(conv, xr, kernel, stride, padding);
    }

    private static void AssertSameAsUnfused(Conv2d conv, Tensor input, int kernel, int? stride, int padding)
    {
        var pool = new MaxPool2d(kernel, stride, padding);
        var seq = new Sequential(conv, new ReLU(), pool);

        var x1 = Tensor.FromArray(input.ToArray(), input.Shape);
        x1.RequiresGrad = true;
        var fused = seq.Forward(x1);
        var g = Tensor.RandN(new Prng(9), fused.Shape);
        fused.Backward(g);
        var wGradFused = conv.Weight.Grad!.ToArray();
        conv.Weight.Grad = null;

        var x2 = Tensor.FromArray(input.ToArray(), input.Shape);
        x2.RequiresGrad = true;
        var plain = Ops.MaxPool2d(Ops.Relu(conv.Forward(x2)), kernel, stride, padding);
        plain.Backward(g);

        Assert.Equal(plain.Shape, fused.Shape);
        // Exact equality (NaN equals NaN under float.Equals, as xunit compares).
        Assert.Equal(plain.ToArray(), fused.ToArray());
        Assert.Equal(x2.Grad!.ToArray(), x1.Grad!.ToArray());
        Assert.Equal(conv.Weight.Grad!.ToArray(), wGradFused);
        conv.Weight.Grad = null;
    }

    [Fact]
    public void ReluThenMaxPool_CraftedWindows_MatchHandWorkedValues()
    {
        var seq = new Sequential(new ReLU(), new MaxPool2d(2));
        var x = Tensor.FromArray(s_crafted, 1, 1, 4, 6);
        x.RequiresGrad = true;
        var y = seq.Forward(x);
        Assert.Equal([1, 1, 2, 3], y.Shape);
        float[] got = y.ToArray();
        Assert.Equal([3f, 0f, 0f], got[..3]);
        Assert.True(float.IsNaN(got[3]));
        Assert.True(float.IsNaN(got[4]));
        Assert.Equal(0.5f, got[5]);
        // Zero windows give +0 (ReLU of the pooled −0 or +0), as ReLU-first would.
        Assert.False(float.IsNegative(got[1]));
        Ops.Sum(y).Backward();
        var expected = new float[24];
        expected[0] = 1;   // tie of 3s: the top-left one
        expected[23] = 1;  // the 0.5 beside zeros
        // NaN windows: ReLU's gradient at NaN is 0 (NaN > 0 is false); zero and negative windows pass nothing.
        Assert.Equal(expected, x.Grad!.ToArray());
    }

    [Fact]
    public void ReluFollowedByOtherModules_IsNotFused()
    {
        // ReLU then AvgPool2d is not exchangeable; the result must be avg(relu(x)).
        var x = Tensor.FromArray([-4f, 2f, 2f, 0f], 1, 1, 2, 2);
        var y = new Sequential(new ReLU(), new AvgPool2d(2)).Forward(x);
        Assert.Equal(1f, y.Item());
        // A trailing ReLU with nothing after it still applies.
        Assert.Equal([0f, 2f, 2f, 0f], new Sequential(new MaxPool2d(1), new ReLU()).Forward(x).ToArray());
    }
}
