using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// The forward convolution by Winograd F(4×4, 3×3) through <see cref="Ops.Conv2d"/> and
/// <see cref="Ops.Conv2dInference"/>: against a double-precision loop (with the fused epilogue: scale, shift,
/// residual, ReLU), by chunks of images, by bands of tile rows and by output channels, on the vectorised and the scalar
/// transforms, the same bits with one worker range as with two; and in training, the gradients of the path it replaces.
/// </summary>
public sealed class ConvWinogradF4Tests
{
    // n, c, h, w, o, pad, tile rows per band (0: by shape)
    public static TheoryData<int, int, int, int, int, int, int> Cases => new()
    {
        { 1, 16, 13, 13, 9, 1, 0 },   // batch 1: channels split over ranges; 13 = 3·4 + 1 crops the last tile to one row/column
        { 1, 16, 13, 13, 9, 1, 2 },   // batch 1 in bands (image, band pairs over the ranges), ragged last band
        { 9, 5, 12, 17, 6, 1, 0 },    // 9 images split over ranges, odd width
        { 9, 5, 12, 17, 6, 1, 1 },    // the same in single-row bands
        { 3, 1, 7, 7, 4, 1, 0 },      // one input channel, 7×7 (the 512@7 layer's shape)
        { 2, 3, 6, 5, 1, 2, 0 },      // one output channel, padding 2 (tiles reading past the padded input)
        { 2, 4, 9, 8, 3, 0, 0 },      // no padding
        { 2, 3, 3, 3, 2, 1, 0 },      // the smallest image: one tile
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_definition_and_one_range(int n, int c, int h, int w, int o, int pad, int rows)
    {
        var rng = new Prng(41);
        var x = Tensor.Rand(rng, [n, c, h, w], -1f, 1f);
        var wt = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f);
        var b = Tensor.Rand(rng, [o], -0.2f, 0.2f);
        var scale = Tensor.Rand(rng, [o], 0.5f, 1.5f).ToArray();
        var shift = Tensor.Rand(rng, [o], -0.5f, 0.5f).ToArray();
        int ho = h + (2 * pad) - 2, wo = w + (2 * pad) - 2;
        var residual = Tensor.Rand(rng, [n, o, ho, wo], -1f, 1f);
        var expected = ConvReference.Forward(x.ToArray(), n, c, h, w, wt.ToArray(), b.ToArray(), o, 3, 1, (pad, pad, pad, pad));
        var r = residual.ToArray();
        var fusedExpected = new double[expected.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            int oc = i / (ho * wo) % o;
            fusedExpected[i] = Math.Max(0, (expected[i] * scale[oc]) + shift[oc] + r[i]);
        }
        var epilogue = new ConvEpilogue(scale, shift, residual, relu: true);
        Tensor Plain() => Ops.Conv2d(x, wt, b, 1, pad);
        Tensor Fused() => Ops.Conv2dInference(x, wt, b, (1, 1), (pad, pad, pad, pad), (1, 1), 1, epilogue);

        float[]? vectorPlain = null;
        foreach (bool scalar in new[] { false, true })
        {
            var plain = RunF4(Plain, rows, scalar, parallel: !scalar);
            var fused = RunF4(Fused, rows, scalar, parallel: !scalar);
            Assertions.AllClose(expected, plain, 1e-4, 1e-4);
            Assertions.AllClose(fusedExpected, fused, 1e-4, 1e-4);
            if (!scalar)
            {
                vectorPlain = plain;
                Assert.Equal(plain, RunF4(Plain, rows, false, parallel: false));
                Assert.Equal(fused, RunF4(Fused, rows, false, parallel: false));
            }
            else
            {
                // The vectorised transforms do the scalar code's float operations: the same bits.
                Assert.Equal(vectorPlain, plain);
            }
        }
    }

    [Fact]
    public void NaN_reaches_the_output_tiles_that_read_it()
    {
        var xv = new float[2 * 12 * 12];
        xv[144 + (5 * 12) + 10] = float.NaN; // image 1, row 5, column 10: tile row 1, tile column 2 only
        var x = new Tensor(xv, [2, 1, 12, 12]);
        var y = RunF4(() => Ops.Conv2d(x, Tensor.Ones([2, 1, 3, 3]), null, 1, 1), 0, false, true);
        for (int i = 0; i < y.Length; i++)
        {
            int image = i / (2 * 144), oh = i / 12 % 12, ow = i % 12;
            Assert.Equal(image == 1 && oh / 4 == 1 && ow / 4 == 2, float.IsNaN(y[i]));
        }
    }

    [Theory]
    [InlineData(2, 8, 10, 11, 9)]    // C·O ≥ 64 and sides ≥ 8: the F(2×2, 3×3) forward would have run, so its backward
    [InlineData(3, 4, 7, 7, 5)]      // too few channels for F(2×2, 3×3): the im2col backward
    public void Training_records_the_backward_of_the_path_it_replaces(int n, int c, int h, int w, int o)
    {
        var rng = new Prng(5);
        var xv = Tensor.Rand(rng, [n, c, h, w], -1f, 1f).ToArray();
        var wv = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f).ToArray();
        var bv = Tensor.Rand(rng, [o], -0.2f, 0.2f).ToArray();
        var gv = Tensor.Rand(rng, [n, o, h, w], -1f, 1f);
        (float[] Y, float[] Dx, float[] Dw, float[] Db) Step(bool f4)
        {
            var x = new Tensor((float[])xv.Clone(), [n, c, h, w]) { RequiresGrad = true };
            var wt = new Tensor((float[])wv.Clone(), [o, c, 3, 3]) { RequiresGrad = true };
            var b = new Tensor((float[])bv.Clone(), [o]) { RequiresGrad = true };
            WinogradF4.ForceF4 = f4;
            try
            {
                var y = Ops.Conv2d(x, wt, b, 1, 1);
                y.Backward(gv);
                return (y.ToArray(), x.Grad!.ToArray(), wt.Grad!.ToArray(), b.Grad!.ToArray());
            }
            finally
            {
                WinogradF4.ForceF4 = false;
            }
        }
        var f4 = OneWorkerRange.Run(() => Step(true));
        var before = OneWorkerRange.Run(() => Step(false));
        Assert.Equal(before.Dx, f4.Dx);
        Assert.Equal(before.Dw, f4.Dw);
        Assert.Equal(before.Db, f4.Db);
        var expected = ConvReference.Conv3x3(xv, wv, bv, new float[n * o * h * w], n, c, o, h, w, 1).Y;
        Assertions.AllClose(expected, f4.Y, 1e-4, 1e-4);
    }

    [Fact]
    public void The_F2_switch_keeps_F2_bits()
    {
        var rng = new Prng(6);
        var x = Tensor.Rand(rng, [8, 64, 16, 16], -1f, 1f);
        var wt = Tensor.Rand(rng, [64, 64, 3, 3], -0.1f, 0.1f);
        float[] Run(bool f2, bool winograd)
        {
            WinogradF4.ForceF2 = f2;
            Winograd.ForceWinograd = winograd;
            try
            {
                using (Tensor.NoGrad())
                {
                    return Ops.Conv2d(x, wt, null, 1, 1).ToArray();
                }
            }
            finally
            {
                WinogradF4.ForceF2 = false;
                Winograd.ForceWinograd = false;
            }
        }
        // This shape takes F(4×4, 3×3) by default (8 images of 16 tiles, 64×64 channels); the switch gives the F(2×2, 3×3)
        // result, which forcing Winograd (F(2×2, 3×3) only) also gives.
        var byDefault = Run(false, false);
        var f2 = Run(true, false);
        Assert.Equal(Run(false, true), f2);
        Assert.NotEqual(f2, byDefault);
        var expected = ConvReference.Forward(x.ToArray(), 8, 64, 16, 16, wt.ToArray(), new float[64], 64, 3, 1, (1, 1, 1, 1));
        Assertions.AllClose(expected, byDefault, 1e-4, 1e-4);
        Assertions.AllClose(expected, f2, 1e-4, 1e-4);
    }

    [Fact]
    public void Cached_F4_weights_are_kept_apart_from_F2_and_follow_in_place_changes()
    {
        var rng = new Prng(8);
        var x = Tensor.Rand(rng, [9, 6, 10, 11], -1f, 1f);
        var w = Tensor.Rand(rng, [5, 6, 3, 3], -0.5f, 0.5f);
        float[] Conv(bool f4, bool recorded)
        {
            WinogradF4.ForceF4 = f4;
            WinogradF4.ForceF2 = !f4;
            Winograd.ForceWinograd = !f4;
            w.RequiresGrad = recorded;
            try
            {
                if (recorded)
                {
                    // With gradients the weights are transformed afresh, never taken from the cache.
                    return Ops.Conv2d(x, w, null, 1, 1).ToArray();
                }
                using (Tensor.NoGrad())
                {
                    return Ops.Conv2d(x, w, null, 1, 1).ToArray();
                }
            }
            finally
            {
                WinogradF4.ForceF4 = false;
                WinogradF4.ForceF2 = false;
                Winograd.ForceWinograd = false;
                w.RequiresGrad = false;
            }
        }
        for (int round = 0; round < 2; round++)
        {
            // Alternating F(2,3) and F(4,3) inference on one weight: each from its own cache entry.
            var f2 = Conv(false, false);
            var f4 = Conv(true, false);
            Assert.Equal(Conv(false, true), f2);
            Assert.Equal(Conv(true, true), f4);
            Assert.Equal(f2, Conv(false, false));
            Assert.Equal(f4, Conv(true, false));
            Assert.NotEqual(f2, f4);
            var expected = ConvReference.Forward(x.ToArray(), 9, 6, 10, 11, w.ToArray(), new float[5], 5, 3, 1, (1, 1, 1, 1));
            Assertions.AllClose(expected, f4, 1e-4, 1e-4);
            // An optimizer-like update in place.
            var span = w.Span;
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = (span[i] * 0.9f) + 0.01f;
            }
        }
    }

    private static float[] RunF4(Func<Tensor> conv, int rows, bool scalar, bool parallel) =>
        WinogradSwitches.Run(rows, scalar, parallel, () =>
        {
            // WinogradSwitches forces Winograd (F(2×2, 3×3) alone); F(4×4, 3×3) is forced on top of it.
            WinogradF4.ForceF4 = true;
            try
            {
                using (Tensor.NoGrad())
                {
                    return conv().ToArray();
                }
            }
            finally
            {
                WinogradF4.ForceF4 = false;
            }
        });
}
