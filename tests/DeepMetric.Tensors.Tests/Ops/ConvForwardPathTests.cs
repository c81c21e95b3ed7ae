using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// Forward-only convolution paths of small batches: a large image whose bands of output rows are split over the
/// worker ranges (ResNet's stem at batch 1), and the inference cache of Winograd's transformed weights, which must
/// follow every in-place change of the weights. Against a double-precision loop, the same bits with one worker range,
/// and the same bits as the batched path.
/// </summary>
public sealed class ConvForwardPathTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> BandCases => new()
    {
        // c, h, w, o, k, stride, padTopLeft, padBottomRight, batch
        { 3, 173, 171, 8, 7, 2, 3, 2, 1 },  // stem-like, odd sides, CNTK's asymmetric pads: 86×85 positions, 147 rows
        { 1, 400, 300, 8, 7, 2, 3, 3, 1 },  // one input channel, symmetric pads
        { 3, 200, 190, 9, 5, 1, 2, 2, 2 },  // stride 1, batch 2, odd channel count
        { 8, 260, 250, 8, 3, 2, 1, 0, 1 },  // top/left pads only, 3×3 stride 2
    };

    [Theory]
    [MemberData(nameof(BandCases))]
    public void A_large_image_split_into_bands_of_rows_matches_the_definition_and_the_batched_path(int c, int h, int w, int o, int k,
        int stride, int padTl, int padBr, int batch)
    {
        var rng = new Prng(17);
        var x = Tensor.Rand(rng, [batch, c, h, w], -1f, 1f);
        var wt = Tensor.Rand(rng, [o, c, k, k], -0.5f, 0.5f);
        var b = Tensor.Rand(rng, [o], -0.5f, 0.5f);
        var pads = (padTl, padTl, padBr, padBr);
        // A NaN in the first image must reach exactly the outputs whose window covers it.
        x.Span[(h / 2 * w) + 3] = float.NaN;
        Tensor y, one;
        using (Tensor.NoGrad())
        {
            y = Ops.Conv2dGeneral(x, wt, b, (stride, stride), pads, (1, 1));
            one = OneWorkerRange.Run(() => Ops.Conv2dGeneral(x, wt, b, (stride, stride), pads, (1, 1)));
        }
        Assert.Equal(y.ToArray(), one.ToArray());
        var expected = ConvReference.Forward(x.ToArray(), batch, c, h, w, wt.ToArray(), b.ToArray(), o, k, stride, pads);
        var actual = y.ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(double.IsNaN(expected[i]), float.IsNaN(actual[i]));
            if (!double.IsNaN(expected[i]))
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 + (1e-4 * Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
            }
        }

        // The batched path (8 or more images split over the ranges, each image by the same bands of rows) gives the
        // same bits for the same image.
        var nine = new float[9 * c * h * w];
        for (int i = 0; i < 9; i++)
        {
            x.ToArray().AsSpan(0, c * h * w).CopyTo(nine.AsSpan(i * c * h * w));
        }
        Tensor many;
        using (Tensor.NoGrad())
        {
            many = Ops.Conv2dGeneral(Tensor.FromArray(nine, 9, c, h, w), wt, b, (stride, stride), pads, (1, 1));
        }
        int per = actual.Length / batch;
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(actual.AsSpan(0, per).ToArray(), many.ToArray().AsSpan(i * per, per).ToArray());
        }

        // The epilogue (scale, shift, residual, ReLU) applied band by band equals the separate ops bit for bit, at
        // batch 9 (images over the ranges) and at the small batch (bands over the ranges).
        foreach (var input in new[] { Tensor.FromArray(nine, 9, c, h, w), x })
        {
            int count = input.Dim(0);
            var residual = Tensor.Rand(rng, [count, o, y.Dim(2), y.Dim(3)], -1f, 1f);
            var scale = Tensor.Rand(rng, [o], 0.5f, 1.5f).ToArray();
            var shift = Tensor.Rand(rng, [o], -0.5f, 0.5f).ToArray();
            using (Tensor.NoGrad())
            {
                var conv = Ops.Conv2dGeneral(input, wt, b, (stride, stride), pads, (1, 1));
                var unfused = Ops.Relu(Ops.Add(Ops.Add(Ops.Mul(conv, Tensor.FromArray(scale, 1, o, 1, 1)), Tensor.FromArray(shift, 1, o, 1, 1)), residual));
                var fused = Ops.Conv2dInference(input, wt, b, (stride, stride), pads, (1, 1), 1, new ConvEpilogue(scale, shift, residual, relu: true));
                Assert.Equal(unfused.ToArray(), fused.ToArray());
            }
        }
    }

    [Theory]
    [InlineData(1, 16, 12, 16)]     // batch 1: channels split over the ranges
    [InlineData(3, 24, 9, 20)]      // odd side, ragged last tile
    [InlineData(9, 8, 10, 12)]      // images split over the ranges
    [InlineData(1, 176, 8, 176)]    // 278,784 weights: compared in blocks over the worker ranges
    public void Cached_winograd_weights_follow_in_place_changes_of_the_weights(int n, int c, int side, int o)
    {
        var rng = new Prng(23);
        var x = Tensor.Rand(rng, [n, c, side, side], -1f, 1f);
        var w = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f);
        var b = Tensor.Rand(rng, [o], -0.5f, 0.5f);
        var pads = (1, 1, 1, 1);

        // nanChannel: the output channel of a NaN weight. Winograd's tile transforms spread it over whole 2×2 tiles (also
        // onto outputs whose window meets it only in the zero padding), so there only NaN where expected is checked.
        void CheckAgainstDefinition(Tensor y, int nanChannel = -1)
        {
            var expected = ConvReference.Forward(x.ToArray(), n, c, side, side, w.ToArray(), b.ToArray(), o, 3, 1, pads);
            var actual = y.ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                if (i / (side * side) % o == nanChannel)
                {
                    Assert.True(!double.IsNaN(expected[i]) || float.IsNaN(actual[i]), $"element {i}: expected NaN, got {actual[i]}");
                    continue;
                }
                Assert.Equal(double.IsNaN(expected[i]), float.IsNaN(actual[i]));
                if (!double.IsNaN(expected[i]))
                {
                    Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 + (1e-4 * Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
                }
            }
        }

        Tensor Inference()
        {
            using (Tensor.NoGrad())
            {
                return Ops.Conv2dGeneral(x, w, b, (1, 1), pads, (1, 1));
            }
        }

        // The recorded (training) path transforms the weights itself: the cached U must give the same bits.
        Tensor Recorded()
        {
            w.RequiresGrad = true;
            try
            {
                return Ops.Conv2dGeneral(x, w, b, (1, 1), pads, (1, 1));
            }
            finally
            {
                w.RequiresGrad = false;
            }
        }

        var first = Inference();
        CheckAgainstDefinition(first);
        Assert.Equal(first.ToArray(), Inference().ToArray());          // from the cache
        Assert.Equal(Recorded().ToArray(), Inference().ToArray());
        Assert.Equal(first.ToArray(), OneWorkerRange.Run(Inference).ToArray());

        // An optimizer-like update in place: every weight moves.
        var span = w.Span;
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = (span[i] * 0.9f) + 0.01f;
        }
        var second = Inference();
        CheckAgainstDefinition(second);
        Assert.Equal(Recorded().ToArray(), second.ToArray());

        // One weight changed (the last), then a NaN: it must reach exactly the outputs of its output channel.
        w.Span[^1] += 0.25f;
        CheckAgainstDefinition(Inference());
        w.Span[3] = float.NaN;
        var withNaN = Inference();
        CheckAgainstDefinition(withNaN, nanChannel: 0);
        Assert.Contains(withNaN.ToArray(), float.IsNaN);
        Assert.Equal(Recorded().ToArray(), withNaN.ToArray());

        // Weights that share storage with others at another offset are not confused with them.
        var both = Tensor.Rand(rng, [2 * o, c, 3, 3], -0.5f, 0.5f);
        Tensor upper, lower;
        using (Tensor.NoGrad())
        {
            upper = Ops.Conv2dGeneral(x, Ops.Slice(both, 0, 0, o), b, (1, 1), pads, (1, 1));
            lower = Ops.Conv2dGeneral(x, Ops.Slice(both, 0, o, o), b, (1, 1), pads, (1, 1));
        }
        var wCopy = Tensor.FromArray(both.ToArray()[..(o * c * 9)], o, c, 3, 3);
        var wCopy2 = Tensor.FromArray(both.ToArray()[(o * c * 9)..], o, c, 3, 3);
        using (Tensor.NoGrad())
        {
            Assert.Equal(Ops.Conv2dGeneral(x, wCopy, b, (1, 1), pads, (1, 1)).ToArray(), upper.ToArray());
            Assert.Equal(Ops.Conv2dGeneral(x, wCopy2, b, (1, 1), pads, (1, 1)).ToArray(), lower.ToArray());
        }
    }

    [Theory]
    [InlineData(0)]                 // first block
    [InlineData(131_072)]           // the first block of the second range
    [InlineData(299_999)]           // the last float
    public void The_block_compare_of_large_weights_sees_one_changed_bit_anywhere(int changed)
    {
        const int len = 300_000;
        Assert.True(len >= WinogradWeightCache.ParallelCompareFloats);
        var rng = new Prng(31);
        var copy = Tensor.Rand(rng, [len], -1f, 1f).ToArray();
        var buffer = new float[len + 5];
        copy.CopyTo(buffer, 5);
        Assert.True(WinogradWeightCache.SameBits(buffer, 5, copy));
        Assert.True(OneWorkerRange.Run(() => WinogradWeightCache.SameBits(buffer, 5, copy)));

        buffer[5 + changed] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(buffer[5 + changed]) ^ 1);
        Assert.False(WinogradWeightCache.SameBits(buffer, 5, copy));
        Assert.False(OneWorkerRange.Run(() => WinogradWeightCache.SameBits(buffer, 5, copy)));

        // −0 and +0 are equal values but different weights' bits.
        copy[changed] = 0f;
        buffer[5 + changed] = -0f;
        Assert.False(WinogradWeightCache.SameBits(buffer, 5, copy));
        buffer[5 + changed] = 0f;
        Assert.True(WinogradWeightCache.SameBits(buffer, 5, copy));
    }

    [Theory]
    [InlineData(1, 16, 13, 11, 9, 3)]   // batch 1: 3 bands (3, 3, 1 of 7 tile rows), too few for two ranges: halves
    [InlineData(1, 8, 40, 17, 12, 2)]   // batch 1, 10 bands: two ranges of bands
    [InlineData(3, 5, 9, 9, 8, 2)]      // batch 3, 3 bands each: (image, band) pairs over the ranges, odd sides
    public void A_small_banded_batch_splits_its_bands_and_matches_a_large_batch_bit_for_bit(int n, int c, int h, int w, int o, int rows)
    {
        var rng = new Prng(29);
        var x = Tensor.Rand(rng, [n, c, h, w], -1f, 1f);
        var wt = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f);
        var b = Tensor.Rand(rng, [o], -0.5f, 0.5f);
        x.Span[(h / 2 * w) + (w / 2)] = float.NaN;   // one NaN input: it reaches its tiles' outputs only
        var residual = Tensor.Rand(rng, [9, o, h, w], -1f, 1f);
        var nine = new float[9 * c * h * w];
        for (int i = 0; i < 9; i++)
        {
            x.ToArray().AsSpan(i % n * c * h * w, c * h * w).CopyTo(nine.AsSpan(i * c * h * w));
        }
        var x9 = Tensor.FromArray(nine, 9, c, h, w);
        float[] Run(Tensor input, bool parallel, bool fused) =>
            WinogradSwitches.Run(rows, scalar: false, parallel, () =>
            {
                using (Tensor.NoGrad())
                {
                    if (!fused)
                    {
                        return Ops.Conv2d(input, wt, b, 1, 1).ToArray();
                    }
                    var res = Ops.Slice(residual, 0, 0, input.Dim(0));
                    return Ops.Conv2dInference(input, wt, b, (1, 1), (1, 1, 1, 1), (1, 1), 1, new ConvEpilogue(null, null, res, relu: true)).ToArray();
                }
            });

        var small = Run(x, true, false);
        Assert.Equal(small, Run(x, false, false));
        var large = Run(x9, true, false);
        int per = o * h * w;
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(small.AsSpan(i % n * per, per).ToArray(), large.AsSpan(i * per, per).ToArray());
        }
        var expected = ConvReference.Forward(x.ToArray(), n, c, h, w, wt.ToArray(), b.ToArray(), o, 3, 1, (1, 1, 1, 1));
        int nanTiles = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i]))
            {
                Assert.True(float.IsNaN(small[i]), $"element {i}: expected NaN, got {small[i]}");
                continue;
            }
            if (float.IsNaN(small[i]))
            {
                nanTiles++;   // a NaN spreads over its 2×2 output tiles (Winograd), next to outputs that read it
                continue;
            }
            Assert.True(Math.Abs(expected[i] - small[i]) <= 1e-4 + (1e-4 * Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {small[i]}");
        }
        Assert.True(nanTiles < 8 * o, $"{nanTiles} outputs NaN beyond those that read the NaN input");

        // With the fused epilogue (residual, ReLU) too: same bits as the large batch and as one range.
        var fusedSmall = Run(x, true, true);
        Assert.Equal(fusedSmall, Run(x, false, true));
        var fusedLarge = Run(x9, true, true);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(fusedSmall.AsSpan(i * per, per).ToArray(), fusedLarge.AsSpan(i * per, per).ToArray());
        }
    }

    [Theory]
    [InlineData(1, 64, 112, 112, 3, 2, 1)]   // ResNet's stem pool at batch 1
    [InlineData(2, 3, 37, 41, 3, 2, 1)]      // odd sides
    [InlineData(1, 1, 30, 29, 3, 2, 0)]      // one channel, no padding
    [InlineData(3, 2, 25, 26, 5, 3, 2)]      // wider window, stride 3
    [InlineData(1, 2, 40, 9, 3, 1, 1)]       // stride 1, a row too short for the vector pass
    public void Inference_max_pool_matches_the_definition_and_the_recorded_path(int n, int c, int h, int w, int k, int s, int pad)
    {
        var rng = new Prng(41);
        var x = Tensor.Rand(rng, [n, c, h, w], -1f, 1f);
        var xs = x.Span;
        xs[3] = float.NaN;                        // at the left edge (a clipped window)
        xs[(h / 2 * w) + (w / 2)] = float.NaN;    // inside
        xs[(h * w) - 1] = float.NegativeInfinity;
        xs[w + 5] = -0f;
        Tensor y;
        using (Tensor.NoGrad())
        {
            y = Ops.MaxPool2d(x, k, s, pad);
        }
        int ho = ((h + (2 * pad) - k) / s) + 1, wo = ((w + (2 * pad) - k) / s) + 1;
        Assert.Equal([n, c, ho, wo], y.Shape);
        var xv = x.ToArray();
        var yv = y.ToArray();
        for (int pl = 0; pl < n * c; pl++)
        {
            for (int oh = 0; oh < ho; oh++)
            {
                for (int ow = 0; ow < wo; ow++)
                {
                    double best = double.NegativeInfinity;
                    bool nan = false;
                    for (int i = 0; i < k; i++)
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int ih = (oh * s) - pad + i, iw = (ow * s) - pad + j;
                            if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                            {
                                float v = xv[(pl * h * w) + (ih * w) + iw];
                                nan |= float.IsNaN(v);
                                best = Math.Max(best, v);
                            }
                        }
                    }
                    float got = yv[(((pl * ho) + oh) * wo) + ow];
                    Assert.True(nan ? float.IsNaN(got) : got == best, $"plane {pl} ({oh}, {ow}): expected {(nan ? double.NaN : best)}, got {got}");
                }
            }
        }
        // The recorded path (winner indices for the backward pass) gives the same values; so does one worker range.
        x.RequiresGrad = true;
        var recorded = Ops.MaxPool2d(x, k, s, pad);
        Assert.Equal(recorded.ToArray(), yv);
        x.RequiresGrad = false;
        using (Tensor.NoGrad())
        {
            Assert.Equal(yv, OneWorkerRange.Run(() => Ops.MaxPool2d(x, k, s, pad)).ToArray());
        }
    }
}
