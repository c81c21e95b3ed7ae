using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// The im2col convolution's backward pass (strided, 1×1, the stem, small stride-1 planes; asymmetric pads as the CNTK
/// export has them) against a double-precision loop over every output position and kernel tap.
/// </summary>
public sealed class ConvIm2ColBackwardTests
{
    public static TheoryData<int[]> Cases => new()
    {
        // n, c, h, w, o, kh, kw, stride, dilation, pad top, left, bottom, right
        { new[] { 2, 3, 23, 21, 4, 7, 7, 2, 1, 3, 3, 2, 2 } }, // the stem's kernel, pads and stride, small
        { new[] { 1, 3, 45, 44, 5, 7, 7, 2, 1, 3, 3, 3, 3 } }, // the stem with ≥ 400 positions: banded per-image columns
        { new[] { 2, 64, 56, 56, 3, 3, 3, 2, 1, 1, 1, 0, 0 } }, // the 56² stride-2 layer, top/left pads, dWᵀ in bands
        { new[] { 1, 2, 44, 44, 128, 3, 3, 2, 1, 1, 1, 1, 1 } }, // ≥ 400 positions and 128 output channels: dW, not dWᵀ
        { new[] { 3, 4, 15, 14, 5, 3, 3, 2, 1, 1, 1, 0, 0 } }, // CNTK pads, odd sizes
        { new[] { 1, 4, 15, 14, 5, 3, 3, 2, 1, 1, 1, 0, 0 } }, // batch 1
        { new[] { 9, 2, 13, 17, 3, 3, 3, 2, 1, 1, 1, 1, 1 } }, // symmetric pads, two worker ranges
        { new[] { 3, 5, 9, 8, 4, 1, 1, 2, 1, 0, 0, 0, 0 } }, // 1×1 stride 2, odd height
        { new[] { 9, 3, 40, 37, 6, 1, 1, 2, 1, 0, 0, 0, 0 } }, // 1×1 stride 2, rows long enough for vectors, two ranges
        { new[] { 2, 1, 44, 41, 2, 1, 1, 2, 1, 0, 0, 0, 0 } }, // 1×1 stride 2, ≥ 400 positions, one channel
        { new[] { 2, 3, 10, 10, 2, 1, 1, 3, 1, 0, 0, 0, 0 } }, // 1×1 stride 3
        { new[] { 1, 2, 9, 9, 3, 1, 1, 1, 1, 0, 0, 0, 0 } }, // 1×1 stride 1
        { new[] { 9, 8, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1 } }, // the 512-channel layers' 7×7 planes (im2col, not Winograd)
        { new[] { 2, 3, 5, 6, 2, 3, 3, 1, 1, 0, 0, 0, 0 } }, // stride 1 without padding: col2im straight into dx
        { new[] { 2, 1, 11, 12, 2, 5, 5, 3, 1, 2, 2, 2, 2 } }, // stride 3, one channel
        { new[] { 2, 2, 12, 11, 3, 3, 3, 2, 2, 2, 2, 2, 2 } }, // stride 2, dilation 2
        { new[] { 2, 2, 9, 10, 2, 3, 3, 2, 1, 0, 0, 2, 2 } }, // padding at the bottom and right only
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsMatchDoublePrecisionLoop(int[] a)
    {
        var (n, c, h, w, o, kh, kw, s, d) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
        var pads = (a[9], a[10], a[11], a[12]);
        var x = GradCheck.Random(31, [n, c, h, w]);
        var wt = GradCheck.Random(32, [o, c, kh, kw]);
        var b = GradCheck.Random(33, [o]);
        x.RequiresGrad = true;
        wt.RequiresGrad = true;
        b.RequiresGrad = true;
        var y = Ops.Conv2dGeneral(x, wt, b, (s, s), pads, (d, d));
        var g = GradCheck.Random(34, y.Shape);
        y.Backward(g);
        var expected = ConvReference.Conv2d(x.ToArray(), n, c, h, w, wt.ToArray(), o, kh, kw, b.ToArray(), s, d, pads, g.ToArray());
        Assertions.AllClose(expected.Y, y.ToArray(), 1e-4, 1e-4);
        Assertions.AllClose(expected.Dx, x.Grad!.ToArray(), 1e-4, 1e-4);
        Assertions.AllClose(expected.Dw, wt.Grad!.ToArray(), 1e-3, 1e-4);
        Assertions.AllClose(expected.Db, b.Grad!.ToArray(), 1e-3, 1e-4);
    }

    [Theory]
    [InlineData(9, 8, 7, 7, 6, 3, 1, 1, 1)] // 7×7 planes, batched chunks
    [InlineData(8, 4, 15, 14, 5, 3, 2, 1, 0)] // CNTK stride-2 pads
    [InlineData(8, 3, 40, 37, 6, 1, 2, 0, 0)] // 1×1 stride 2
    [InlineData(8, 3, 45, 44, 4, 7, 2, 3, 2)] // the stem, banded per image
    public void OneWorkerRangeGivesTheSameBits(int n, int c, int h, int w, int o, int k, int s, int padTopLeft, int padBottomRight)
    {
        var pads = (padTopLeft, padTopLeft, padBottomRight, padBottomRight);
        (float[] Dx, float[] Dw) Run()
        {
            var x = GradCheck.Random(41, [n, c, h, w]);
            var wt = GradCheck.Random(42, [o, c, k, k]);
            x.RequiresGrad = true;
            wt.RequiresGrad = true;
            var y = Ops.Conv2dGeneral(x, wt, null, (s, s), pads, (1, 1));
            y.Backward(GradCheck.Random(43, y.Shape));
            return (x.Grad!.ToArray(), wt.Grad!.ToArray());
        }
        var two = Run();
        var one = OneWorkerRange.Run(Run);
        Assert.Equal(one.Dx, two.Dx);
        Assert.Equal(one.Dw, two.Dw);
    }

    [Theory]
    [InlineData(3, 3, 2, 1, 0)] // CNTK stride-2 3×3
    [InlineData(1, 1, 2, 0, 0)] // 1×1 stride 2
    [InlineData(3, 3, 1, 1, 1)] // 3×3 stride 1 at 7×7
    public void NaNPassesThroughToTheSameGradientsAsTheLoop(int k, int kw, int s, int padTopLeft, int padBottomRight)
    {
        const int n = 2, c = 5, h = 7, w = 7, o = 4; // more than 4 channels: im2col, not the direct 3×3 kernel
        var pads = (padTopLeft, padTopLeft, padBottomRight, padBottomRight);
        var x = GradCheck.Random(51, [n, c, h, w]);
        var wt = GradCheck.Random(52, [o, c, k, kw]);
        var b = Tensor.Zeros(o);
        x.Buffer[x.Offset + 20] = float.NaN; // image 0, channel 0, row 2, column 6
        x.RequiresGrad = true;
        wt.RequiresGrad = true;
        var y = Ops.Conv2dGeneral(x, wt, null, (s, s), pads, (1, 1));
        var g = GradCheck.Random(53, y.Shape);
        g.Buffer[g.Offset + y.Size - 1] = float.NaN; // the last image's last channel, bottom-right output
        y.Backward(g);
        var expected = ConvReference.Conv2d(x.ToArray(), n, c, h, w, wt.ToArray(), o, k, kw, b.ToArray(), s, 1, pads, g.ToArray());
        Assert.Contains(expected.Dx, double.IsNaN);
        Assert.Contains(expected.Dx, double.IsFinite);
        Assert.Contains(expected.Dw, double.IsNaN);
        Assertions.AllClose(expected.Dx, x.Grad!.ToArray(), 1e-4, 1e-4);
        Assertions.AllClose(expected.Dw, wt.Grad!.ToArray(), 1e-3, 1e-4);
    }

    [Fact]
    public void InputGradientIsWrittenWhereNoWindowReaches()
    {
        // Stride 3 with a 1×1 kernel leaves most pixels out of every window: their gradient is exactly zero, even
        // though the buffer starts uninitialised.
        for (int rep = 0; rep < 3; rep++)
        {
            var x = GradCheck.Random(61, [8, 2, 10, 11]);
            var wt = GradCheck.Random(62, [3, 2, 1, 1]);
            x.RequiresGrad = true;
            var y = Ops.Conv2d(x, wt, stride: 3);
            y.Backward(Tensor.Ones(y.Shape));
            var dx = x.Grad!.ToArray();
            for (int i = 0; i < dx.Length; i++)
            {
                int col = i % 11, row = i / 11 % 10;
                if (col % 3 != 0 || row % 3 != 0)
                {
                    Assert.Equal(0f, dx[i]);
                }
            }
        }
    }
}
