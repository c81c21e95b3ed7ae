using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// The fused convolution + 2×2 max-pool against the two separate ops: the same kernels run in the same order, so values
/// and every gradient must agree bit for bit, on the direct (few input channels) and the Winograd path; only the
/// AVX-512 direct kernel's weight and bias gradients are summed in another order (equal to float rounding).
/// </summary>
public sealed class ConvMaxPoolTests
{
    // n, c, o, h, w, padding: direct path (c ≤ 4) and Winograd (c·o ≥ 64), several chunks, padding 0 and 1.
    public static TheoryData<int, int, int, int, int, int> Cases => new()
    {
        { 3, 1, 5, 8, 10, 1 },
        { 9, 3, 4, 6, 6, 0 },
        { 2, 8, 8, 6, 8, 1 },
        { 40, 16, 16, 28, 28, 1 }, // two Winograd chunks
    };

    private static (float[] Y, float[] Dx, float[] Dw, float[] Db) Run(bool fused, int n, int c, int o, int h, int w, int pad, bool relu, float[]? xOverride = null)
    {
        var rng = new Prng(5);
        var x = xOverride is null ? Tensor.Rand(rng, [n, c, h, w], -1f, 1f) : Tensor.FromArray(xOverride, n, c, h, w);
        x.RequiresGrad = true;
        var conv = new Conv2d(c, o, 3, padding: pad, rng: new Prng(6));
        var model = relu ? new Sequential(conv, new ReLU(), new MaxPool2d(2)) : new Sequential(conv, new MaxPool2d(2));
        Tensor y;
        if (fused)
        {
            y = model.Forward(x);
        }
        else
        {
            var z = conv.Forward(x);
            // Applied one at a time, the modules are not fused.
            y = Ops.MaxPool2d(relu ? Ops.Relu(z) : z, 2);
        }
        var g = Tensor.Rand(new Prng(7), y.Shape, -1f, 1f);
        y.Backward(g);
        return (y.ToArray(), x.Grad!.ToArray(), conv.Weight.Grad!.ToArray(), conv.Bias!.Grad!.ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedEqualsSeparateOpsExactly(int n, int c, int o, int h, int w, int pad)
    {
        foreach (bool relu in new[] { false, true })
        {
            var a = Run(false, n, c, o, h, w, pad, relu);
            var b = Run(true, n, c, o, h, w, pad, relu);
            Assert.Equal(a.Y, b.Y);
            Assert.Equal(a.Dx, b.Dx);
            AssertWeightGradientsAgree(a, b, c);
        }
    }

    // The fused direct path with AVX-512 sums the weight and bias gradients straight from the pooled gradient (another
    // order of the same products): equal to float rounding there, bit for bit everywhere else.
    private static void AssertWeightGradientsAgree((float[] Y, float[] Dx, float[] Dw, float[] Db) a, (float[] Y, float[] Dx, float[] Dw, float[] Db) b, int c)
    {
        if (c <= DirectConv3x3.MaxChannels && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Assertions.AllClose(a.Dw, b.Dw, 1e-5, 1e-5);
            Assertions.AllClose(a.Db, b.Db, 1e-5, 1e-5);
            return;
        }
        Assert.Equal(a.Dw, b.Dw);
        Assert.Equal(a.Db, b.Db);
    }

    [Fact]
    public void TiesZerosAndNaNFollowThePoolRules()
    {
        // An all-zero image gives ties in every window (only the bias differs); a NaN pixel must propagate as the pool does.
        var xs = new float[2 * 1 * 8 * 8];
        xs[64 + 27] = float.NaN;
        var a = Run(false, 2, 1, 3, 8, 8, 1, relu: true, xs);
        var b = Run(true, 2, 1, 3, 8, 8, 1, relu: true, xs);
        Assert.Equal(a.Y, b.Y);
        AssertWeightGradientsAgree(a, b, 1);
        Assert.Contains(b.Y, float.IsNaN);
    }

    [Theory]
    [InlineData(24, 1, 4)] // direct path
    [InlineData(24, 8, 8)] // Winograd path: each worker range has its own dU and bias sums
    [InlineData(9, 16, 8)] // Winograd, ranges of 4 and 5 images
    public void SequentialAndParallelKernelsAgree(int n, int c, int o)
    {
        var parallel = Run(true, n, c, o, 8, 8, 1, relu: true);
        var serial = OneWorkerRange.Run(() => Run(true, n, c, o, 8, 8, 1, relu: true));
        Assert.Equal(serial.Y, parallel.Y);
        Assert.Equal(serial.Dx, parallel.Dx);
        Assert.Equal(serial.Dw, parallel.Dw);
        Assert.Equal(serial.Db, parallel.Db);
    }

    [Theory]
    [InlineData(7, 1)] // odd output: the pool drops the last row and column, so nothing is fused
    [InlineData(6, 0)] // even output of an unpadded 3×3 on 6×6 is 4×4: fused
    public void CanFuseOnlyEvenOutputs(int side, int pad)
    {
        var x = Tensor.Zeros(1, 2, side, side);
        var wt = Tensor.Zeros(3, 2, 3, 3);
        int outSide = side + (2 * pad) - 2;
        Assert.Equal(outSide % 2 == 0, Ops.CanFuseConvMaxPool(x, wt, 1, pad, 1));
        Assert.False(Ops.CanFuseConvMaxPool(x, wt, 2, pad, 1));
        Assert.False(Ops.CanFuseConvMaxPool(x, Tensor.Zeros(3, 2, 5, 5), 1, pad, 1));
    }

    [Fact]
    public void OddOutputStillMatchesThroughSequential()
    {
        var a = Run(false, 2, 2, 3, 7, 7, 1, relu: true);
        var b = Run(true, 2, 2, 3, 7, 7, 1, relu: true);
        Assertions.AllClose(a.Y, b.Y, 0, 0);
        Assert.Equal(a.Dw, b.Dw);
    }

    [Fact]
    public void RejectsUnsupportedShapesByName()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Conv2dMaxPool2x2(Tensor.Zeros(1, 1, 7, 7), Tensor.Zeros(2, 1, 3, 3), null, 1));
        Assert.Equal("x", ex.ParamName);
        var bias = Assert.Throws<ArgumentException>(() => Ops.Conv2dMaxPool2x2(Tensor.Zeros(1, 1, 6, 6), Tensor.Zeros(2, 1, 3, 3), Tensor.Zeros(3), 1));
        Assert.Equal("bias", bias.ParamName);
    }
}
