using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// Max pooling with a gradient for windows other than 2×2 stride 2 (winner bytes, planes split over the worker ranges)
/// against a plain loop that applies the documented rule: the first maximal element of each window wins, the last NaN
/// when there are NaNs, padding never; overlapping windows add their gradients in output order.
/// </summary>
public sealed class MaxPoolWinnersTests
{
    private static (float[] Y, float[] Dx) Reference(float[] x, float[] g, int planes, int h, int w, int k, int s, int p)
    {
        int ho = ((h + (2 * p) - k) / s) + 1, wo = ((w + (2 * p) - k) / s) + 1;
        var y = new float[planes * ho * wo];
        var dx = new float[x.Length];
        int at = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            for (int oh = 0; oh < ho; oh++)
            {
                for (int ow = 0; ow < wo; ow++, at++)
                {
                    float best = float.NegativeInfinity;
                    int win = -1;
                    for (int i = 0; i < k; i++)
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int ih = (oh * s) - p + i, iw = (ow * s) - p + j;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                            {
                                continue;
                            }
                            int idx = (pl * h * w) + (ih * w) + iw;
                            win = win < 0 ? idx : win;
                            if (x[idx] > best || float.IsNaN(x[idx]))
                            {
                                best = x[idx];
                                win = idx;
                            }
                        }
                    }
                    y[at] = best;
                    dx[win] += g[at];
                }
            }
        }
        return (y, dx);
    }

    private static (float[] Y, float[] Dx) Ours(float[] xs, float[] gs, int[] shape, int k, int s, int p)
    {
        var x = Tensor.FromArray(xs, shape);
        x.RequiresGrad = true;
        var y = Ops.MaxPool2d(x, k, s, p);
        y.Backward(Tensor.FromArray(gs, y.Shape));
        return (y.ToArray(), x.Grad!.ToArray());
    }

    public static TheoryData<int[], bool> Cases() => new()
    {
        // n, c, h, w, kernel, stride, padding; values quantised to few levels (ties) or not
        { new[] { 1, 1, 7, 9, 3, 2, 1 }, true },
        { new[] { 2, 3, 112, 112, 3, 2, 1 }, false },
        { new[] { 4, 5, 13, 11, 3, 2, 1 }, true },
        { new[] { 1, 2, 40, 41, 3, 2, 1 }, true },
        { new[] { 2, 1, 33, 37, 3, 2, 0 }, true },
        { new[] { 1, 1, 25, 50, 3, 2, 1 }, false },
        { new[] { 1, 1, 9, 36, 3, 2, 0 }, true },
        { new[] { 3, 2, 9, 10, 3, 1, 1 }, true },
        { new[] { 2, 2, 8, 8, 2, 1, 0 }, true },
        { new[] { 1, 3, 17, 17, 16, 1, 0 }, false },
        { new[] { 1, 2, 18, 18, 17, 1, 0 }, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Values_and_gradients_follow_the_first_winner_rule(int[] a, bool ties)
    {
        int[] shape = [a[0], a[1], a[2], a[3]];
        var rng = new Prng(3);
        var xs = Tensor.Rand(rng, shape, -2f, 2f).ToArray();
        if (ties)
        {
            for (int i = 0; i < xs.Length; i++)
            {
                xs[i] = MathF.Round(xs[i]);
            }
        }
        // NaNs: two neighbours, and one at each edge of a row.
        xs[xs.Length / 3] = float.NaN;
        xs[(xs.Length / 3) + 1] = float.NaN;
        xs[(xs.Length / 2) - (xs.Length / 2 % a[3])] = float.NaN;
        xs[xs.Length - 1] = float.NaN;
        int ho = ((a[2] + (2 * a[6]) - a[4]) / a[5]) + 1, wo = ((a[3] + (2 * a[6]) - a[4]) / a[5]) + 1;
        var gs = Tensor.Rand(rng, [a[0] * a[1] * ho * wo], -1f, 1f).ToArray();
        var (yRef, dxRef) = Reference(xs, gs, a[0] * a[1], a[2], a[3], a[4], a[5], a[6]);
        var (y, dx) = Ours(xs, gs, shape, a[4], a[5], a[6]);
        Assert.Equal(yRef, y);
        Assert.Equal(dxRef, dx);
        var (y1, dx1) = OneWorkerRange.Run(() => Ours(xs, gs, shape, a[4], a[5], a[6]));
        Assert.Equal(y, y1);
        Assert.Equal(dx, dx1);
        // The portable path (no AVX2) gives the same (one worker range: the flag is per thread).
        var (y2, dx2) = OneWorkerRange.Run(() =>
        {
            PoolKernels.ForceScalar = true;
            try
            {
                return Ours(xs, gs, shape, a[4], a[5], a[6]);
            }
            finally
            {
                PoolKernels.ForceScalar = false;
            }
        });
        Assert.Equal(y, y2);
        Assert.Equal(dx, dx2);
    }
}
