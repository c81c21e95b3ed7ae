using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// Convolutions with a fused inference epilogue (batch-norm scale and shift, residual, ReLU) on every kernel path
/// (im2col per image and batched, Winograd, the few-channel direct kernel, grouped and depthwise): against a
/// double-precision loop, bit for bit against the unfused ops, and the same bits with one worker thread.
/// </summary>
public sealed class ConvEpilogueTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> Cases => new()
    {
        // n, c, side, o, k, stride, padTopLeft, padBottomRight, groups
        { 1, 3, 31, 8, 7, 2, 3, 2, 1 },     // stem-like, batch 1: one column matrix shared by the channel ranges
        { 1, 3, 171, 4, 7, 2, 3, 2, 1 },    // batch 1, columns over the budget (147 × 85²): GEMMs by bands of rows
        { 9, 5, 13, 6, 3, 2, 1, 0, 1 },     // stride 2, top/left pads, batched GEMMs, uneven split of 9 images
        { 8, 7, 9, 12, 1, 2, 0, 0, 1 },     // 1×1 stride 2 shortcut
        { 3, 16, 11, 16, 3, 1, 1, 1, 1 },   // Winograd (odd side: ragged last tile)
        { 1, 16, 10, 9, 3, 1, 1, 1, 1 },    // Winograd at batch 1
        { 2, 3, 10, 4, 3, 1, 1, 1, 1 },     // few input channels: the direct 3×3 kernel
        { 2, 6, 9, 6, 3, 1, 1, 1, 3 },      // grouped
        { 9, 4, 8, 4, 3, 1, 1, 1, 4 },      // depthwise
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_output_matches_the_definition_and_the_unfused_ops(int n, int c, int side, int o, int k, int stride, int padTl, int padBr, int groups)
    {
        var rng = new Prng(31);
        var x = Tensor.Rand(rng, [n, c, side, side], -1f, 1f);
        var w = Tensor.Rand(rng, [o, c / groups, k, k], -0.5f, 0.5f);
        var b = Tensor.Rand(rng, [o], -0.2f, 0.2f);
        var gamma = Tensor.Rand(rng, [o], 0.5f, 1.5f);
        var beta = Tensor.Rand(rng, [o], -0.5f, 0.5f);
        var mean = Tensor.Rand(rng, [o], -0.3f, 0.3f);
        var variance = Tensor.Rand(rng, [o], 0.2f, 2f);
        var pads = (padTl, padTl, padBr, padBr);
        int ho = ((side + padTl + padBr - k) / stride) + 1;
        var residual = Tensor.Rand(rng, [n, o, ho, ho], -1f, 1f);
        const float Eps = 1e-5f;

        foreach (var (withResidual, relu) in new[] { (false, false), (false, true), (true, true) })
        {
            Tensor unfused, fused, fusedOneThread;
            using (Tensor.NoGrad())
            {
                var conv = Ops.Conv2dGeneral(x, w, b, (stride, stride), pads, (1, 1), groups);
                unfused = Ops.BatchNorm(conv, gamma, beta, mean, variance, training: false, eps: Eps);
                if (withResidual)
                {
                    unfused = Ops.Add(unfused, residual);
                }
                if (relu)
                {
                    unfused = Ops.Relu(unfused);
                }
                var (scale, shift) = Ops.BatchNormInference(gamma, beta, mean, variance, Eps);
                var epilogue = new ConvEpilogue(scale, shift, withResidual ? residual : null, relu);
                fused = Ops.Conv2dInference(x, w, b, (stride, stride), pads, (1, 1), groups, epilogue);
                fusedOneThread = OneWorkerRange.Run(() => Ops.Conv2dInference(x, w, b, (stride, stride), pads, (1, 1), groups, epilogue));
            }
            Assert.Equal(unfused.Shape, fused.Shape);
            Assert.Equal(unfused.ToArray(), fused.ToArray());
            Assert.Equal(fused.ToArray(), fusedOneThread.ToArray());

            // Independent check: the definition in double precision.
            var expected = Definition(x, w, b, stride, padTl, groups, ho);
            var g = gamma.ToArray();
            var be = beta.ToArray();
            var mu = mean.ToArray();
            var v = variance.ToArray();
            var r = residual.ToArray();
            int p = ho * ho;
            for (int i = 0; i < expected.Length; i++)
            {
                int oc = i / p % o;
                double e = ((expected[i] - mu[oc]) / Math.Sqrt(v[oc] + Eps) * g[oc]) + be[oc] + (withResidual ? r[i] : 0);
                expected[i] = relu ? Math.Max(0, e) : e;
            }
            Assertions.AllClose(expected, fused.ToArray(), 1e-4, 1e-4);
        }
    }

    [Theory]
    [InlineData(64, 12, 3, 1, 1)]   // Winograd
    [InlineData(16, 9, 3, 2, 1)]    // im2col, stride 2
    [InlineData(24, 29, 7, 2, 3)]   // im2col, one column matrix shared by the channel ranges
    [InlineData(40, 5, 3, 1, 1)]    // 5×5 output: im2col, not Winograd
    public void Small_batches_split_over_channels_match_a_large_batch_and_one_thread(int channels, int side, int k, int stride, int pad)
    {
        // Batches under 8 split the output channels over the worker ranges, batches of 8 or more the images: every
        // image's output agrees either way (GEMMs of other shapes may round differently), and is the same bits with
        // one thread.
        var rng = new Prng(5);
        var x = Tensor.Rand(rng, [9, channels, side, side], -1f, 1f);
        var w = Tensor.Rand(rng, [channels + 3, channels, k, k], -0.3f, 0.3f);
        var b = Tensor.Rand(rng, [channels + 3], -0.3f, 0.3f);
        var large = Ops.Conv2d(x, w, b, stride, pad).ToArray();
        int per = large.Length / 9;
        foreach (int count in new[] { 1, 3 })
        {
            var xs = Tensor.FromArray(x.ToArray()[..(count * channels * side * side)], count, channels, side, side);
            var small = Ops.Conv2d(xs, w, b, stride, pad).ToArray();
            Assertions.AllClose(large.AsSpan(0, count * per), small, 1e-5, 1e-5);
            Assert.Equal(small, OneWorkerRange.Run(() => Ops.Conv2d(xs, w, b, stride, pad).ToArray()));
        }
    }

    [Fact]
    public void A_fused_convolution_refuses_inputs_that_need_gradients()
    {
        var x = Tensor.Rand(new Prng(1), [1, 2, 5, 5], -1f, 1f);
        var w = Tensor.Rand(new Prng(2), [3, 2, 3, 3], -1f, 1f);
        w.RequiresGrad = true;
        var epilogue = new ConvEpilogue(null, null, null, relu: true);
        Assert.Throws<InvalidOperationException>(() => Ops.Conv2dInference(x, w, null, (1, 1), (1, 1, 1, 1), (1, 1), 1, epilogue));
        using (Tensor.NoGrad())
        {
            var y = Ops.Conv2dInference(x, w, null, (1, 1), (1, 1, 1, 1), (1, 1), 1, epilogue);
            Assert.All(y.ToArray(), v => Assert.True(v >= 0));
        }
    }

    [Fact]
    public void A_residual_of_another_shape_is_an_error()
    {
        var x = Tensor.Rand(new Prng(1), [2, 2, 6, 6], -1f, 1f);
        var w = Tensor.Rand(new Prng(2), [3, 2, 3, 3], -1f, 1f);
        var epilogue = new ConvEpilogue(null, null, Tensor.Zeros(2, 3, 3, 3), relu: false);
        using (Tensor.NoGrad())
        {
            Assert.Throws<ArgumentException>(() => Ops.Conv2dInference(x, w, null, (1, 1), (1, 1, 1, 1), (1, 1), 1, epilogue));
        }
    }

    // Grouped cross-correlation with symmetric pads (top/left = pad; the bottom/right pads only matter for the size).
    private static double[] Definition(Tensor x, Tensor w, Tensor b, int s, int pad, int groups, int ho)
    {
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), o = w.Dim(0), cg = w.Dim(1), k = w.Dim(2), og = o / groups;
        var xs = x.ToArray();
        var ws = w.ToArray();
        var bs = b.ToArray();
        var y = new double[n * o * ho * ho];
        for (int img = 0; img < n; img++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int oh = 0; oh < ho; oh++)
                {
                    for (int ow = 0; ow < ho; ow++)
                    {
                        double acc = bs[oc];
                        for (int ci = 0; ci < cg; ci++)
                        {
                            int ic = (oc / og * cg) + ci;
                            for (int i = 0; i < k; i++)
                            {
                                for (int j = 0; j < k; j++)
                                {
                                    int ih = (oh * s) - pad + i, iw = (ow * s) - pad + j;
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < h)
                                    {
                                        acc += (double)xs[(((img * c) + ic) * h + ih) * h + iw] * ws[(((oc * cg) + ci) * k + i) * k + j];
                                    }
                                }
                            }
                        }
                        y[(((img * o) + oc) * ho + oh) * ho + ow] = acc;
                    }
                }
            }
        }
        return y;
    }
}
