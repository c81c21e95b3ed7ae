using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// The im2col convolution split over worker ranges of images (batch ≥ 8), the top/left-only padding that runs as
/// symmetric padding (CNTK's stride-2 layers), small outputs that leave Winograd for im2col, and the max-pool split over
/// planes: forward, input and weight gradients against double-precision loops, and the same bits with one thread.
/// </summary>
public sealed class ConvImageRangeTests
{
    // y, dL/dx and dL/dw of L = Σ g·conv(x, w) with pads (top, left, bottom, right), in double precision.
    private static (double[] Y, double[] Dx, double[] Dw) Reference(float[] x, int n, int c, int h, int w, float[] wt, int o, int k,
        int s, (int T, int L, int B, int R) p, float[]? g)
    {
        int ho = ((h + p.T + p.B - k) / s) + 1, wo = ((w + p.L + p.R - k) / s) + 1;
        var y = new double[n * o * ho * wo];
        var dx = new double[x.Length];
        var dw = new double[wt.Length];
        for (int ni = 0; ni < n; ni++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int oh = 0; oh < ho; oh++)
                {
                    for (int ow = 0; ow < wo; ow++)
                    {
                        int yi = (((ni * o) + oc) * ho + oh) * wo + ow;
                        double acc = 0, go = g?[yi] ?? 0;
                        for (int ci = 0; ci < c; ci++)
                        {
                            for (int i = 0; i < k; i++)
                            {
                                for (int j = 0; j < k; j++)
                                {
                                    int ih = (oh * s) - p.T + i, iw = (ow * s) - p.L + j;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                                    {
                                        continue;
                                    }
                                    int xi = (((ni * c) + ci) * h + ih) * w + iw, wi = (((oc * c) + ci) * k + i) * k + j;
                                    acc += (double)x[xi] * wt[wi];
                                    dx[xi] += go * wt[wi];
                                    dw[wi] += go * x[xi];
                                }
                            }
                        }
                        y[yi] = acc;
                    }
                }
            }
        }
        return (y, dx, dw);
    }

    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Cases => new()
    {
        // n, c, side, o, k, stride, padT, padL, padB, padR
        { 9, 3, 31, 5, 7, 2, 3, 3, 2, 2 },    // ResNet stem shape, odd side, uneven split of 9 images; ≥ 400 positions
        { 8, 5, 13, 6, 3, 2, 1, 1, 0, 0 },    // strided 3×3, top/left padding only: batched GEMMs over image ranges
        { 10, 4, 12, 7, 1, 2, 0, 0, 0, 0 },   // strided 1×1 downsample
        { 1, 3, 11, 4, 3, 2, 1, 1, 0, 0 },    // batch 1: no image split
        { 8, 16, 7, 8, 3, 1, 1, 1, 1, 1 },    // 3×3 stride 1 with a 7×7 output: im2col, not Winograd
        { 12, 3, 9, 4, 3, 2, 1, 1, 1, 0 },    // asymmetric pads that change the output size: explicit pad first
        { 9, 2, 22, 3, 3, 1, 1, 1, 1, 1 },    // 22×22 output, few channels: per-image GEMMs (or the direct kernel)
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_gradients_match_double_loops(int n, int c, int side, int o, int k, int s, int pt, int pl, int pb, int pr)
    {
        var x = GradCheck.Random(11, [n, c, side, side]);
        var w = GradCheck.Random(12, [o, c, k, k]);
        x.RequiresGrad = true;
        w.RequiresGrad = true;
        var y = Ops.Conv2dGeneral(x, w, null, (s, s), (pt, pl, pb, pr), (1, 1));
        var g = GradCheck.Random(13, y.Shape);
        var (ey, edx, edw) = Reference(x.ToArray(), n, c, side, side, w.ToArray(), o, k, s, (pt, pl, pb, pr), g.ToArray());
        Assertions.AllClose(ey, y.ToArray(), 1e-4, 1e-4);
        y.Backward(g);
        Assertions.AllClose(edx, x.Grad!.ToArray(), 1e-4, 1e-4);
        Assertions.AllClose(edw, w.Grad!.ToArray(), 1e-3, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_thread_gives_the_same_bits(int n, int c, int side, int o, int k, int s, int pt, int pl, int pb, int pr)
    {
        float[] Run(bool parallel, out float[] dx, out float[] dw)
        {
            bool before = KernelThreads.Parallel;
            KernelThreads.Parallel = parallel;
            try
            {
                var x = GradCheck.Random(21, [n, c, side, side]);
                var w = GradCheck.Random(22, [o, c, k, k]);
                x.RequiresGrad = true;
                w.RequiresGrad = true;
                var y = Ops.Conv2dGeneral(x, w, null, (s, s), (pt, pl, pb, pr), (1, 1));
                y.Backward(GradCheck.Random(23, y.Shape));
                dx = x.Grad!.ToArray();
                dw = w.Grad!.ToArray();
                return y.ToArray();
            }
            finally
            {
                KernelThreads.Parallel = before;
            }
        }
        var y1 = Run(true, out var dx1, out var dw1);
        var y2 = Run(false, out var dx2, out var dw2);
        Assert.Equal(y2, y1);
        Assert.Equal(dx2, dx1);
        Assert.Equal(dw2, dw1);
    }

    [Theory]
    [InlineData(3, 2, 1, 9)]   // ResNet's stem pool on an odd side, 18 planes split over the ranges
    [InlineData(3, 2, 0, 10)]
    [InlineData(2, 1, 1, 7)]
    public void Max_pool_split_over_planes_matches_the_definition(int k, int s, int p, int side)
    {
        int n = 3, c = 6;
        // Distinct values: the winner (and so the gradient's target) is unambiguous.
        var perm = Enumerable.Range(0, n * c * side * side).ToArray();
        new System.Random(5).Shuffle(perm);
        var values = perm.Select(v => (v / 64f) - 10f).ToArray();
        var x = Tensor.FromArray(values, n, c, side, side);
        x.RequiresGrad = true;
        var y = Ops.MaxPool2d(x, k, s, p);
        int ho = ((side + (2 * p) - k) / s) + 1;
        Assert.Equal([n, c, ho, ho], y.Shape);
        var g = GradCheck.Random(31, y.Shape);
        y.Backward(g);
        var gs = g.ToArray();
        var ys = y.ToArray();
        var dx = new double[values.Length];
        for (int pl = 0; pl < n * c; pl++)
        {
            for (int oh = 0; oh < ho; oh++)
            {
                for (int ow = 0; ow < ho; ow++)
                {
                    double best = double.NegativeInfinity;
                    int at = -1;
                    for (int i = 0; i < k; i++)
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int ih = (oh * s) - p + i, iw = (ow * s) - p + j;
                            if (ih >= 0 && ih < side && iw >= 0 && iw < side && values[(pl * side * side) + (ih * side) + iw] > best)
                            {
                                at = (pl * side * side) + (ih * side) + iw;
                                best = values[at];
                            }
                        }
                    }
                    int yi = (pl * ho * ho) + (oh * ho) + ow;
                    Assert.Equal(best, ys[yi]);
                    dx[at] += gs[yi];
                }
            }
        }
        Assertions.AllClose(dx, x.Grad!.ToArray(), 1e-6, 1e-6);

        // Without a gradient the pool takes the row-max path (no winner indices): the same values.
        using (Tensor.NoGrad())
        {
            Assert.Equal(ys, Ops.MaxPool2d(x, k, s, p).ToArray());
        }
        Assert.Equal(ys, Ops.MaxPool2d(Tensor.FromArray(values, n, c, side, side), k, s, p).ToArray());
    }

    [Fact]
    public void Max_pool_without_gradient_propagates_nan_and_handles_edges()
    {
        // 1 plane 5×5, 3×3 stride 2 pad 1: outputs 3×3; a NaN at (4, 4) reaches only the bottom-right window.
        var v = Enumerable.Range(0, 25).Select(i => (float)((i * 7) % 25)).ToArray();
        v[24] = float.NaN;
        var y = Ops.MaxPool2d(Tensor.FromArray(v, 1, 1, 5, 5), 3, 2, 1).ToArray();
        var expected = new float[9];
        for (int oh = 0; oh < 3; oh++)
        {
            for (int ow = 0; ow < 3; ow++)
            {
                float best = float.NegativeInfinity;
                for (int ih = Math.Max(0, (2 * oh) - 1); ih <= Math.Min(4, (2 * oh) + 1); ih++)
                {
                    for (int iw = Math.Max(0, (2 * ow) - 1); iw <= Math.Min(4, (2 * ow) + 1); iw++)
                    {
                        best = float.IsNaN(v[(ih * 5) + iw]) || float.IsNaN(best) ? float.NaN : Math.Max(best, v[(ih * 5) + iw]);
                    }
                }
                expected[(oh * 3) + ow] = best;
            }
        }
        Assert.True(float.IsNaN(y[8]));
        Assert.Equal(expected, y);
    }
}
