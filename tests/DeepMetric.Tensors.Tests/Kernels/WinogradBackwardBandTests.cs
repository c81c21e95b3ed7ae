using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>
/// The Winograd backward pass run band by band of tile rows within each image (the path that keeps a large image's
/// dM, V and dV in L2): input, weight and bias gradients against a double-precision loop on the SIMD and the scalar
/// transforms; the input gradient bit for bit equal to the whole-image path (the halo rows two bands share are
/// completed in the same order); the same bits with one worker range as with two; NaN reaching only what it should;
/// and the pooled (conv + 2×2 max-pool) variant banded.
/// </summary>
public sealed class WinogradBackwardBandTests
{
    // n, c, o, h, w, padding, tile rows per band
    public static TheoryData<int, int, int, int, int, int, int> Cases => new()
    {
        { 1, 3, 4, 13, 13, 1, 3 },  // batch 1, ragged last band (7 tile rows: 3, 3, 1)
        { 9, 5, 6, 12, 17, 1, 2 },  // 9 images over two ranges, odd width, 6 tile rows in 3 bands
        { 2, 1, 1, 9, 7, 0, 1 },    // one channel in and out, no padding, single-row bands, odd output height
        { 3, 4, 3, 8, 10, 2, 2 },   // padding 2: the first and last bands' halo rows are partly cropped
        { 2, 6, 5, 10, 10, 1, 5 },  // one band holds the whole image
        { 1, 2, 3, 3, 3, 1, 1 },    // two tile rows of one tile each
        { 8, 3, 2, 20, 9, 1, 4 },   // ranges of 4 images
        { 2, 3, 2, 7, 37, 0, 1 },   // wide rows: three 16-column blocks of the split and interleave, no padding
        { 2, 2, 3, 6, 35, 3, 2 },   // padding 3 (odd, the split columns shifted by two)
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Banded_backward_matches_the_definition_whole_images_and_one_range(int n, int c, int o, int h, int w, int pad, int rows)
    {
        var rng = new Prng(31);
        var xv = Tensor.Rand(rng, [n, c, h, w], -1f, 1f).ToArray();
        var wv = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f).ToArray();
        var bv = Tensor.Rand(rng, [o], -0.2f, 0.2f).ToArray();
        int ho = h + (2 * pad) - 2, wo = w + (2 * pad) - 2;
        var gv = Tensor.Rand(rng, [n, o, ho, wo], -1f, 1f).ToArray();
        var (_, edx, edw, edb) = ConvReference.Conv3x3(xv, wv, bv, gv, n, c, o, h, w, pad);

        foreach (bool scalar in new[] { false, true })
        {
            var banded = Run(xv, wv, bv, gv, n, c, o, h, w, pad, rows, scalar, parallel: !scalar);
            Assertions.AllClose(edx, banded.Dx, 5e-5, 5e-5);
            Assertions.AllClose(edw, banded.Dw, 1e-4, 1e-4);
            Assertions.AllClose(edb, banded.Db, 1e-4, 1e-4);
            var whole = Run(xv, wv, bv, gv, n, c, o, h, w, pad, 0, scalar, parallel: !scalar);
            Assert.Equal(whole.Dx, banded.Dx);
            Assertions.AllClose(whole.Dw, banded.Dw, 1e-4, 1e-4);
            if (!scalar)
            {
                var one = Run(xv, wv, bv, gv, n, c, o, h, w, pad, rows, false, parallel: false);
                Assert.Equal(one.Dx, banded.Dx);
                Assert.Equal(one.Dw, banded.Dw);
                Assert.Equal(one.Db, banded.Db);
            }
        }
    }

    [Fact]
    public void Input_gradient_alone_when_the_weight_is_frozen()
    {
        int n = 2, c = 3, o = 4, h = 11, w = 6;
        var rng = new Prng(32);
        var xv = Tensor.Rand(rng, [n, c, h, w], -1f, 1f).ToArray();
        var wv = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f).ToArray();
        var gv = Tensor.Rand(rng, [n, o, h, w], -1f, 1f).ToArray();
        var (_, edx, _, _) = ConvReference.Conv3x3(xv, wv, new float[o], gv, n, c, o, h, w, 1);
        foreach (bool scalar in new[] { false, true })
        {
            var dx = WinogradSwitches.Run(2, scalar, !scalar, () =>
            {
                var x = new Tensor((float[])xv.Clone(), [n, c, h, w]) { RequiresGrad = true };
                var wt = new Tensor((float[])wv.Clone(), [o, c, 3, 3]);
                Ops.Conv2d(x, wt, padding: 1).Backward(new Tensor((float[])gv.Clone(), [n, o, h, w]));
                Assert.Null(wt.Grad);
                return x.Grad!.ToArray();
            });
            Assertions.AllClose(edx, dx, 5e-5, 5e-5);
        }
    }

    [Fact]
    public void Weight_gradient_alone_when_the_input_needs_none()
    {
        int n = 3, c = 2, o = 3, h = 9, w = 9;
        var rng = new Prng(33);
        var xv = Tensor.Rand(rng, [n, c, h, w], -1f, 1f).ToArray();
        var wv = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f).ToArray();
        var gv = Tensor.Rand(rng, [n, o, h, w], -1f, 1f).ToArray();
        var (_, _, edw, _) = ConvReference.Conv3x3(xv, wv, new float[o], gv, n, c, o, h, w, 1);
        var dw = WinogradSwitches.Run(2, false, true, () =>
        {
            var x = new Tensor((float[])xv.Clone(), [n, c, h, w]);
            var wt = new Tensor((float[])wv.Clone(), [o, c, 3, 3]) { RequiresGrad = true };
            Ops.Conv2d(x, wt, padding: 1).Backward(new Tensor((float[])gv.Clone(), [n, o, h, w]));
            return wt.Grad!.ToArray();
        });
        Assertions.AllClose(edw, dw, 1e-4, 1e-4);
    }

    [Fact]
    public void NaN_in_the_output_gradient_reaches_only_its_receptive_field_across_a_band_edge()
    {
        // One image, 1 channel, 12×12 (6 tile rows), bands of 2 tile rows. A NaN at output (3, 4) sits in tile (1, 2),
        // the last tile row of the first band. Its receptive field, input rows 2…4 and columns 3…5, is exactly where the
        // transforms put NaN (dM's row 0 and column 3 of that tile stay finite); rows 3 and 4 are the halo rows the second
        // band completes.
        int h = 12, w = 12;
        var rng = new Prng(34);
        var xv = Tensor.Rand(rng, [1, 1, h, w], -1f, 1f).ToArray();
        var wv = Tensor.Rand(rng, [1, 1, 3, 3], -0.5f, 0.5f).ToArray();
        var gv = Tensor.Rand(rng, [1, 1, h, w], -1f, 1f).ToArray();
        gv[(3 * w) + 4] = float.NaN;
        foreach (bool scalar in new[] { false, true })
        {
            var banded = Run(xv, wv, null, gv, 1, 1, 1, h, w, 1, 2, scalar, parallel: false);
            var whole = Run(xv, wv, null, gv, 1, 1, 1, h, w, 1, 0, scalar, parallel: false);
            Assert.Equal(whole.Dx, banded.Dx);
            for (int r = 0; r < h; r++)
            {
                for (int col = 0; col < w; col++)
                {
                    bool inWindow = r >= 2 && r <= 4 && col >= 3 && col <= 5;
                    Assert.True(inWindow == float.IsNaN(banded.Dx[(r * w) + col]), $"dx[{r}, {col}] (scalar {scalar})");
                }
            }
            Assert.All(banded.Dw, v => Assert.True(float.IsNaN(v)));
        }
    }

    [Fact]
    public void NaN_in_the_input_reaches_only_its_channels_weight_gradient()
    {
        int n = 2, c = 3, o = 2, h = 10, w = 7;
        var rng = new Prng(35);
        var xv = Tensor.Rand(rng, [n, c, h, w], -1f, 1f).ToArray();
        xv[(((1 * c) + 1) * h * w) + (5 * w) + 2] = float.NaN; // image 1, channel 1, row 5 (the second band)
        var wv = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f).ToArray();
        var gv = Tensor.Rand(rng, [n, o, h, w], -1f, 1f).ToArray();
        var r = Run(xv, wv, null, gv, n, c, o, h, w, 1, 2, false, parallel: true);
        for (int i = 0; i < r.Dw.Length; i++)
        {
            Assert.True(float.IsNaN(r.Dw[i]) == (i / 9 % c == 1), $"dw[{i}]");
        }
        Assert.DoesNotContain(r.Dx, float.IsNaN);
    }

    [Fact]
    public void Pooled_convolution_backward_banded_equals_whole_images()
    {
        // conv + ReLU + 2×2 max-pool fused (the reference CNN's conv2 path), its backward in bands of 3 tile rows.
        int n = 9, c = 8, o = 8, h = 14, w = 14;
        var banded = WinogradSwitches.Run(3, false, true, () => PooledGradients(n, c, o, h, w));
        var whole = WinogradSwitches.Run(0, false, true, () => PooledGradients(n, c, o, h, w));
        var oneRange = OneWorkerRange.Run(() => WinogradSwitches.Run(3, false, true, () => PooledGradients(n, c, o, h, w)));
        Assert.Equal(whole.Dx, banded.Dx);
        Assertions.AllClose(whole.Dw, banded.Dw, 1e-4, 1e-4);
        Assertions.AllClose(whole.Db, banded.Db, 1e-4, 1e-4);
        Assert.Equal(oneRange.Dx, banded.Dx);
        Assert.Equal(oneRange.Dw, banded.Dw);
        Assert.Equal(oneRange.Db, banded.Db);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(8, 8)]
    [InlineData(64, 196)]  // a band of 7 tile rows of a 56×56 image, 64 channels
    [InlineData(13, 21)]   // ragged edges both ways
    [InlineData(16, 5)]
    [InlineData(3, 40)]
    public void Transpose_moves_every_element_including_NaN(int rows, int cols)
    {
        var src = new float[rows * cols];
        for (int i = 0; i < src.Length; i++)
        {
            src[i] = i + 0.5f;
        }
        src[src.Length / 2] = float.NaN;
        foreach (bool scalar in new[] { false, true })
        {
            var dst = new float[rows * cols];
            Winograd.ForceScalar = scalar;
            try
            {
                Winograd.Transpose(src, rows, cols, dst);
            }
            finally
            {
                Winograd.ForceScalar = false;
            }
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    Assert.Equal(src[(i * cols) + j], dst[(j * rows) + i]);
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]    // the scalar tail only
    [InlineData(3, 5)]    // one vector of eight pairs and a tail of seven
    [InlineData(64, 64)]
    [InlineData(7, 9)]
    public void Weight_gradient_transform_is_Gt_dU_G_the_same_bits_on_both_paths(int o, int c)
    {
        int oc = o * c;
        var du = Tensor.Rand(new Prng(39), [Winograd.Xi * oc], -1f, 1f).ToArray();
        du[Math.Min(5, oc - 1) + (6 * oc)] = float.NaN; // ξ = 6 (row 1, column 2) feeds every output of that pair
        var fast = new float[oc * 9];
        var scalar = new float[oc * 9];
        Winograd.WeightGradient(du, o, c, fast);
        Winograd.ForceScalar = true;
        try
        {
            Winograd.WeightGradient(du, o, c, scalar);
        }
        finally
        {
            Winograd.ForceScalar = false;
        }
        Assert.Equal(scalar, fast);
        double[,] gm = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
        var expected = new double[oc * 9];
        for (int k = 0; k < oc; k++)
        {
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++)
                {
                    double sum = 0;
                    for (int a = 0; a < 4; a++)
                    {
                        for (int b = 0; b < 4; b++)
                        {
                            sum += gm[a, i] * du[(((4 * a) + b) * oc) + k] * gm[b, j];
                        }
                    }
                    expected[(k * 9) + (3 * i) + j] = sum;
                }
            }
        }
        Assertions.AllClose(expected, fast, 1e-6, 1e-6);
        int nanPair = Math.Min(5, oc - 1);
        for (int i = 0; i < fast.Length; i++)
        {
            // gm[1, ·] is non-zero in every column, so ξ = 6 reaches all nine outputs of its pair and no other pair.
            Assert.Equal(i / 9 == nanPair, float.IsNaN(fast[i]));
        }
    }

    private static (float[] Dx, float[] Dw, float[] Db) PooledGradients(int n, int c, int o, int h, int w)
    {
        var x = Tensor.Rand(new Prng(36), [n, c, h, w], -1f, 1f);
        x.RequiresGrad = true;
        var conv = new Conv2d(c, o, 3, padding: 1, rng: new Prng(37));
        var y = new Sequential(conv, new ReLU(), new MaxPool2d(2)).Forward(x);
        y.Backward(Tensor.Rand(new Prng(38), y.Shape, -1f, 1f));
        return (x.Grad!.ToArray(), conv.Weight.Grad!.ToArray(), conv.Bias!.Grad!.ToArray());
    }

    private static (float[] Dx, float[] Dw, float[] Db) Run(float[] xv, float[] wv, float[]? bv, float[] gv,
        int n, int c, int o, int h, int w, int pad, int rows, bool scalar, bool parallel) =>
        WinogradSwitches.Run(rows, scalar, parallel, () =>
        {
            var x = new Tensor((float[])xv.Clone(), [n, c, h, w]) { RequiresGrad = true };
            var wt = new Tensor((float[])wv.Clone(), [o, c, 3, 3]) { RequiresGrad = true };
            var b = bv is null ? null : new Tensor((float[])bv.Clone(), [o]) { RequiresGrad = true };
            var y = Ops.Conv2d(x, wt, b, padding: pad);
            y.Backward(new Tensor((float[])gv.Clone(), (int[])y.Dims.Clone()));
            return (x.Grad!.ToArray(), wt.Grad!.ToArray(), b?.Grad!.ToArray() ?? []);
        });
}
