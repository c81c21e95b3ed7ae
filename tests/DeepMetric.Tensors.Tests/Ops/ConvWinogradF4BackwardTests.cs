using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;
using Xunit.Abstractions;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// The F(4×4, 3×3) backward pass of 3×3 stride-1 convolutions: input, weight and bias gradients against a
/// double-precision loop (odd sizes, batch 1, one channel, padding 0–3, chunks and forced bands), on the SIMD and the
/// scalar transforms; bands leaving the whole-image bits; the same bits with one worker range as with two (images split
/// over the ranges, or a small batch's ξ); NaN in the output gradient reaching only its receptive field; the shape rule
/// and the F(2×2, 3×3) switch.
/// </summary>
public sealed class ConvWinogradF4BackwardTests(ITestOutputHelper output)
{
    // n, c, o, h, w, padding, tile rows per band (0: chosen by shape)
    public static TheoryData<int, int, int, int, int, int, int> Cases => new()
    {
        { 1, 1, 1, 5, 7, 1, 0 },     // batch 1, one channel, one tile row and two ragged tile columns
        { 1, 1, 1, 3, 3, 0, 0 },     // one output
        { 2, 3, 4, 13, 13, 1, 0 },   // odd sides, last tile one row and column wide
        { 3, 5, 2, 12, 17, 1, 1 },   // single-row bands
        { 9, 4, 6, 10, 9, 1, 2 },    // 9 images over two ranges, bands of 2
        { 2, 2, 3, 9, 38, 0, 0 },    // no padding, 9 tile columns (a vector of 8 and one more)
        { 2, 3, 2, 8, 10, 2, 1 },    // padding 2: halo rows partly cropped
        { 1, 2, 3, 6, 35, 3, 2 },    // padding 3
        { 8, 3, 3, 16, 16, 1, 0 },   // ranges of 4 images, Wo divisible by 4
        { 3, 8, 8, 7, 7, 1, 0 },     // ResNet's last stage in miniature (7×7: 2×2 tiles)
        { 2, 3, 4, 14, 14, 1, 1 },   // 4 tile columns (pairs of tiles across rows and images), single-row bands
        { 5, 2, 3, 7, 5, 1, 1 },     // 2 tile columns, 5 images: blocks of 8 tiles straddle images
        { 3, 2, 2, 9, 21, 0, 0 },    // 5 tile columns (odd: the row-by-row path), no padding
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_match_the_definition_bands_whole_images_and_one_range(int n, int c, int o, int h, int w, int pad, int rows)
    {
        var rng = new Prng(61);
        var xv = Tensor.Rand(rng, [n, c, h, w], -1f, 1f).ToArray();
        var wv = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f).ToArray();
        var bv = Tensor.Rand(rng, [o], -0.2f, 0.2f).ToArray();
        int ho = h + (2 * pad) - 2, wo = w + (2 * pad) - 2;
        var gv = Tensor.Rand(rng, [n, o, ho, wo], -1f, 1f).ToArray();
        var (_, edx, edw, edb) = ConvReference.Conv3x3(xv, wv, bv, gv, n, c, o, h, w, pad);
        float[]? vecDx = null;
        foreach (bool scalar in new[] { false, true })
        {
            var r = Run(xv, wv, bv, gv, n, c, o, h, w, pad, rows, scalar, parallel: !scalar);
            Assertions.AllClose(edx, r.Dx, 2e-4, 2e-4);
            Assertions.AllClose(edw, r.Dw, 5e-4, 2e-4);
            Assertions.AllClose(edb, r.Db, 1e-4, 1e-4);
            if (rows > 0)
            {
                var whole = Run(xv, wv, bv, gv, n, c, o, h, w, pad, 0, scalar, parallel: !scalar);
                Assert.Equal(whole.Dx, r.Dx);
            }
            if (!scalar)
            {
                vecDx = r.Dx;
                var one = Run(xv, wv, bv, gv, n, c, o, h, w, pad, rows, false, parallel: false);
                Assert.Equal(one.Dx, r.Dx);
                Assert.Equal(one.Dw, r.Dw);
                Assert.Equal(one.Db, r.Db);
            }
            else
            {
                // The SIMD transforms do the scalar operations in the same order.
                Assert.Equal(vecDx, r.Dx);
            }
        }
    }

    [Fact]
    public void NaN_in_the_output_gradient_reaches_only_its_receptive_field_across_a_band_edge()
    {
        // One image, one channel, 16×16 (4 tile rows), bands of 1 tile row. A NaN at output (3, 6) sits in tile (0, 1),
        // in the last row of the first band; its receptive field is input rows 2…4 and columns 5…7, rows 3 and 4 the
        // halo the second band completes. The transforms do not cancel NaN (0 · NaN terms are skipped, but a − a is
        // not), so it may reach more of the tile's 6×6 input window (image rows −1…4, columns 3…8), never beyond it.
        int h = 16, w = 16;
        var rng = new Prng(62);
        var xv = Tensor.Rand(rng, [1, 1, h, w], -1f, 1f).ToArray();
        var wv = Tensor.Rand(rng, [1, 1, 3, 3], -0.5f, 0.5f).ToArray();
        var gv = Tensor.Rand(rng, [1, 1, h, w], -1f, 1f).ToArray();
        gv[(3 * w) + 6] = float.NaN;
        foreach (bool scalar in new[] { false, true })
        {
            var banded = Run(xv, wv, null, gv, 1, 1, 1, h, w, 1, 1, scalar, parallel: false);
            var whole = Run(xv, wv, null, gv, 1, 1, 1, h, w, 1, 0, scalar, parallel: false);
            Assert.Equal(whole.Dx, banded.Dx);
            for (int r = 0; r < h; r++)
            {
                for (int col = 0; col < w; col++)
                {
                    bool field = r >= 2 && r <= 4 && col >= 5 && col <= 7, window = r <= 4 && col >= 3 && col <= 8;
                    bool nan = float.IsNaN(banded.Dx[(r * w) + col]);
                    Assert.True(field ? nan : (window || !nan), $"dx[{r}, {col}] (scalar {scalar})");
                }
            }
            Assert.All(banded.Dw, v => Assert.True(float.IsNaN(v)));
        }
    }

    [Fact]
    public void Input_gradient_alone_and_weight_gradient_alone()
    {
        int n = 2, c = 3, o = 4, h = 11, w = 13;
        var rng = new Prng(63);
        var xv = Tensor.Rand(rng, [n, c, h, w], -1f, 1f).ToArray();
        var wv = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f).ToArray();
        var gv = Tensor.Rand(rng, [n, o, h, w], -1f, 1f).ToArray();
        var (_, edx, edw, _) = ConvReference.Conv3x3(xv, wv, new float[o], gv, n, c, o, h, w, 1);
        var dx = WithF4(2, false, true, () =>
        {
            var x = new Tensor((float[])xv.Clone(), [n, c, h, w]) { RequiresGrad = true };
            var wt = new Tensor((float[])wv.Clone(), [o, c, 3, 3]);
            Ops.Conv2d(x, wt, padding: 1).Backward(new Tensor((float[])gv.Clone(), [n, o, h, w]));
            Assert.Null(wt.Grad);
            return x.Grad!.ToArray();
        });
        Assertions.AllClose(edx, dx, 2e-4, 2e-4);
        var dw = WithF4(0, false, true, () =>
        {
            var x = new Tensor((float[])xv.Clone(), [n, c, h, w]);
            var wt = new Tensor((float[])wv.Clone(), [o, c, 3, 3]) { RequiresGrad = true };
            Ops.Conv2d(x, wt, padding: 1).Backward(new Tensor((float[])gv.Clone(), [n, o, h, w]));
            return wt.Grad!.ToArray();
        });
        Assertions.AllClose(edw, dw, 5e-4, 2e-4);
    }

    [Fact]
    public void ResNet_shaped_layer_takes_F4_by_shape_and_F2_when_asked_both_within_float_error()
    {
        // 64 → 64 channels at 24×24, batch 4 (144 tiles): C·O and the tile count reach the F(4×4, 3×3) rule unforced.
        int n = 4, c = 64, o = 64, h = 24, w = 24;
        var rng = new Prng(64);
        var xv = Tensor.Rand(rng, [n, c, h, w], -1f, 1f).ToArray();
        var wv = Tensor.Rand(rng, [o, c, 3, 3], -0.1f, 0.1f).ToArray();
        var gv = Tensor.Rand(rng, [n, o, h, w], -1f, 1f).ToArray();
        var (_, edx, edw, _) = ConvReference.Conv3x3(xv, wv, new float[o], gv, n, c, o, h, w, 1);
        var f4 = Gradients(xv, wv, gv, n, c, o, h, w, forceF2: false);
        var f2 = Gradients(xv, wv, gv, n, c, o, h, w, forceF2: true);
        var (f4x, f4w) = (MaxError(edx, f4.Dx), MaxError(edw, f4.Dw));
        var (f2x, f2w) = (MaxError(edx, f2.Dx), MaxError(edw, f2.Dw));
        output.WriteLine($"max |error| 64→64 24×24 batch 4: F(4,3) dx {f4x:G3} dW {f4w:G3}; F(2,3) dx {f2x:G3} dW {f2w:G3}");
        Assert.True(f4x < 1e-4 && f4w < 1e-3, $"F(4,3): dx {f4x}, dW {f4w}");
        Assert.True(f2x < 1e-4 && f2w < 1e-3, $"F(2,3): dx {f2x}, dW {f2w}");
        // Different algorithms, different roundings: the switch did change the path.
        Assert.NotEqual(f2.Dx, f4.Dx);
    }

    [Theory]
    [InlineData(2, 64, 56)]
    [InlineData(2, 128, 28)]
    [InlineData(2, 256, 14)]
    [InlineData(2, 512, 7)]
    public void Error_on_ResNet_shapes_against_double_both_algorithms(int n, int c, int side)
    {
        // ResNet-18's 3×3 layers: post-ReLU inputs in [0, 1), He-scaled weights, output gradients of ±1e-3.
        var rng = new Prng(65);
        var xv = Tensor.Rand(rng, [n, c, side, side], 0f, 1f).ToArray();
        float scale = MathF.Sqrt(6f / (9 * c));
        var wv = Tensor.Rand(rng, [c, c, 3, 3], -scale, scale).ToArray();
        var gv = Tensor.Rand(rng, [n, c, side, side], -1e-3f, 1e-3f).ToArray();
        var (_, edx, edw, _) = ConvReference.Conv3x3(xv, wv, new float[c], gv, n, c, c, side, side, 1);
        var f4 = ForcedGradients(xv, wv, gv, n, c, side, f4: true);
        var f2 = ForcedGradients(xv, wv, gv, n, c, side, f4: false);
        double dxScale = MaxAbs(edx), dwScale = MaxAbs(edw);
        double f4x = MaxError(edx, f4.Dx) / dxScale, f4w = MaxError(edw, f4.Dw) / dwScale;
        double f2x = MaxError(edx, f2.Dx) / dxScale, f2w = MaxError(edw, f2.Dw) / dwScale;
        output.WriteLine(FormattableString.Invariant(
            $"{c}@{side} batch {n}, max |error| / max |exact|: F(4,3) dx {f4x:G3} dW {f4w:G3}; F(2,3) dx {f2x:G3} dW {f2w:G3}"));
        Assert.True(f4x < 1e-4 && f4w < 1e-4, $"F(4,3): dx {f4x}, dW {f4w}");
        Assert.True(f2x < 1e-4 && f2w < 1e-4, $"F(2,3): dx {f2x}, dW {f2w}");
    }

    private static (float[] Dx, float[] Dw) ForcedGradients(float[] xv, float[] wv, float[] gv, int n, int c, int side, bool f4)
    {
        WinogradF4Backward.Force = f4;
        WinogradF4.ForceF2 = !f4;
        Winograd.ForceWinograd = true;
        try
        {
            var x = new Tensor((float[])xv.Clone(), [n, c, side, side]) { RequiresGrad = true };
            var wt = new Tensor((float[])wv.Clone(), [c, c, 3, 3]) { RequiresGrad = true };
            Ops.Conv2d(x, wt, padding: 1).Backward(new Tensor((float[])gv.Clone(), [n, c, side, side]));
            return (x.Grad!.ToArray(), wt.Grad!.ToArray());
        }
        finally
        {
            WinogradF4Backward.Force = false;
            WinogradF4.ForceF2 = false;
            Winograd.ForceWinograd = false;
        }
    }

    private static double MaxAbs(double[] values)
    {
        double max = 0;
        foreach (double v in values)
        {
            max = Math.Max(max, Math.Abs(v));
        }
        return max;
    }

    private static (float[] Dx, float[] Dw) Gradients(float[] xv, float[] wv, float[] gv, int n, int c, int o, int h, int w, bool forceF2)
    {
        WinogradF4.ForceF2 = forceF2;
        try
        {
            var x = new Tensor((float[])xv.Clone(), [n, c, h, w]) { RequiresGrad = true };
            var wt = new Tensor((float[])wv.Clone(), [o, c, 3, 3]) { RequiresGrad = true };
            Ops.Conv2d(x, wt, padding: 1).Backward(new Tensor((float[])gv.Clone(), [n, o, h, w]));
            return (x.Grad!.ToArray(), wt.Grad!.ToArray());
        }
        finally
        {
            WinogradF4.ForceF2 = false;
        }
    }

    private static double MaxError(double[] expected, float[] actual)
    {
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        }
        return max;
    }

    private static T WithF4<T>(int rows, bool scalar, bool parallel, Func<T> body)
    {
        WinogradF4Backward.Force = true;
        try
        {
            return WinogradSwitches.Run(rows, scalar, parallel, body);
        }
        finally
        {
            WinogradF4Backward.Force = false;
        }
    }

    private static (float[] Dx, float[] Dw, float[] Db) Run(float[] xv, float[] wv, float[]? bv, float[] gv,
        int n, int c, int o, int h, int w, int pad, int rows, bool scalar, bool parallel) =>
        WithF4(rows, scalar, parallel, () =>
        {
            var x = new Tensor((float[])xv.Clone(), [n, c, h, w]) { RequiresGrad = true };
            var wt = new Tensor((float[])wv.Clone(), [o, c, 3, 3]) { RequiresGrad = true };
            var b = bv is null ? null : new Tensor((float[])bv.Clone(), [o]) { RequiresGrad = true };
            var y = Ops.Conv2d(x, wt, b, padding: pad);
            y.Backward(new Tensor((float[])gv.Clone(), (int[])y.Dims.Clone()));
            return (x.Grad!.ToArray(), wt.Grad!.ToArray(), b?.Grad!.ToArray() ?? []);
        });
}
