using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class ConvTests
{
    private static double[] Reference(float[] x, int n, int c, int h, int w, float[] wt, int o, int kh, int kw, float[]? b,
        int s, int p, int d, out int ho, out int wo)
    {
        ho = ((h + (2 * p) - (d * (kh - 1)) - 1) / s) + 1;
        wo = ((w + (2 * p) - (d * (kw - 1)) - 1) / s) + 1;
        var y = new double[n * o * ho * wo];
        for (int ni = 0; ni < n; ni++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int oh = 0; oh < ho; oh++)
                {
                    for (int ow = 0; ow < wo; ow++)
                    {
                        double acc = b is null ? 0 : b[oc];
                        for (int ci = 0; ci < c; ci++)
                        {
                            for (int i = 0; i < kh; i++)
                            {
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = (oh * s) - p + (i * d), iw = (ow * s) - p + (j * d);
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                                    {
                                        continue;
                                    }
                                    acc += (double)x[(((ni * c) + ci) * h + ih) * w + iw] * wt[(((oc * c) + ci) * kh + i) * kw + j];
                                }
                            }
                        }
                        y[(((ni * o) + oc) * ho + oh) * wo + ow] = acc;
                    }
                }
            }
        }
        return y;
    }

    public static TheoryData<int[], bool> Cases => new()
    {
        // n, c, h, w, o, kh, kw, stride, padding, dilation, bias
        { new[] { 1, 1, 5, 5, 1, 3, 3, 1, 0, 1 }, false },
        { new[] { 2, 3, 7, 6, 4, 3, 3, 1, 1, 1 }, true },
        { new[] { 3, 2, 8, 9, 3, 3, 2, 2, 1, 1 }, true },
        { new[] { 2, 2, 9, 7, 2, 2, 3, 1, 2, 2 }, false },
        { new[] { 2, 3, 10, 11, 5, 3, 3, 3, 0, 2 }, true },
        { new[] { 4, 1, 6, 6, 2, 1, 1, 1, 0, 1 }, true },
        { new[] { 2, 2, 5, 4, 3, 5, 4, 1, 0, 1 }, true },
        { new[] { 2, 1, 22, 21, 2, 3, 3, 1, 1, 1 }, true }, // ≥ 400 positions: per-image GEMMs
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesNestedLoops(int[] a, bool withBias)
    {
        var (n, c, h, w, o, kh, kw, s, p, d) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
        var x = GradCheck.Random(1, [n, c, h, w]);
        var wt = GradCheck.Random(2, [o, c, kh, kw]);
        var b = withBias ? GradCheck.Random(3, [o]) : null;
        var y = Ops.Conv2d(x, wt, b, s, p, d);
        var expected = Reference(x.ToArray(), n, c, h, w, wt.ToArray(), o, kh, kw, b?.ToArray(), s, p, d, out int ho, out int wo);
        Assert.Equal([n, o, ho, wo], y.Shape);
        Assertions.AllClose(expected, y.ToArray(), 1e-5, 1e-5);
    }

    [Theory]
    [InlineData(30, 64, 12, 12, 3)] // few positions per image: batched GEMMs over 3 chunks, the last one partial
    [InlineData(5, 40, 24, 24, 2)] // many positions per image: per-image GEMMs on chunked columns
    public void LargeInputsMatchReferenceForwardAndBackward(int n, int c, int h, int w, int o)
    {
        var x = GradCheck.Random(4, [n, c, h, w]);
        var wt = GradCheck.Random(5, [o, c, 3, 3]);
        var b = GradCheck.Random(6, [o]);
        x.RequiresGrad = true;
        wt.RequiresGrad = true;
        var y = Ops.Conv2d(x, wt, b, padding: 1);
        var xs = x.ToArray();
        var ws = wt.ToArray();
        var expected = Reference(xs, n, c, h, w, ws, o, 3, 3, b.ToArray(), 1, 1, 1, out _, out _);
        Assertions.AllClose(expected, y.ToArray(), 1e-4, 1e-4);

        var g = GradCheck.Random(7, y.Shape);
        y.Backward(g);
        var gs = g.ToArray();
        var dx = new double[xs.Length];
        var dw = new double[ws.Length];
        for (int ni = 0; ni < n; ni++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int oh = 0; oh < h; oh++)
                {
                    for (int ow = 0; ow < w; ow++)
                    {
                        double go = gs[(((ni * o) + oc) * h + oh) * w + ow];
                        for (int ci = 0; ci < c; ci++)
                        {
                            for (int i = 0; i < 3; i++)
                            {
                                for (int j = 0; j < 3; j++)
                                {
                                    int ih = oh - 1 + i, iw = ow - 1 + j;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                                    {
                                        continue;
                                    }
                                    int xi = (((ni * c) + ci) * h + ih) * w + iw, wi = (((oc * c) + ci) * 3 + i) * 3 + j;
                                    dx[xi] += go * ws[wi];
                                    dw[wi] += go * xs[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        Assertions.AllClose(dx, x.Grad!.ToArray(), 1e-4, 1e-4);
        Assertions.AllClose(dw, wt.Grad!.ToArray(), 1e-3, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsMatchFiniteDifferences(int[] a, bool withBias)
    {
        var (n, c, h, w, o, kh, kw, s, p, d) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
        var x = GradCheck.Random(7, [n, c, h, w]);
        var wt = GradCheck.Random(8, [o, c, kh, kw]);
        if (withBias)
        {
            GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], s, p, d), [x, wt, GradCheck.Random(9, [o])]);
        }
        else
        {
            GradCheck.Check(t => Ops.Conv2d(t[0], t[1], null, s, p, d), [x, wt]);
        }
    }

    [Fact]
    public void WeightGradientWithoutInputGradient()
    {
        var x = GradCheck.Random(10, [3, 2, 6, 5]);
        var wt = GradCheck.Random(11, [2, 2, 3, 3]);
        var b = GradCheck.Random(12, [2]);
        GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], padding: 1), [x, wt, b], check: [false, true, true]);
        x.RequiresGrad = false;
        x.Grad = null;
        wt.Grad = null;
        Ops.Sum(Ops.Conv2d(x, wt, b, padding: 1)).Backward();
        Assert.NotNull(wt.Grad);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var x = Tensor.Zeros(1, 2, 5, 5);
        var w = Tensor.Zeros(3, 2, 3, 3);
        Assert.Contains("[N, C, H, W]", Assert.Throws<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(2, 5, 5), w)).Message);
        Assert.Contains("[O, C, kh, kw]", Assert.Throws<ArgumentException>(() => Ops.Conv2d(x, Tensor.Zeros(3, 2, 3))).Message);
        Assert.Contains("input channels", Assert.Throws<ArgumentException>(() => Ops.Conv2d(x, Tensor.Zeros(3, 4, 3, 3))).Message);
        Assert.Contains("bias", Assert.Throws<ArgumentException>(() => Ops.Conv2d(x, w, Tensor.Zeros(2))).Message);
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => Ops.Conv2d(x, Tensor.Zeros(3, 2, 6, 3))).Message);
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => Ops.Conv2d(x, w, dilation: 3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Conv2d(x, w, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Conv2d(x, w, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Conv2d(x, w, dilation: 0));
        // Padding can make a kernel larger than the raw input fit.
        Assert.Equal([1, 3, 2, 2], Ops.Conv2d(Tensor.Zeros(1, 2, 2, 2), w, padding: 1).Shape);
    }
}
