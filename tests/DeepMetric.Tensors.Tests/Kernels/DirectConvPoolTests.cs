using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>
/// Conv 3×3 → ReLU → MaxPool 2 (and without the ReLU) on the fused few-channel path, through <see cref="Sequential"/>,
/// against a double-precision loop: pooled values, the winner rule (first maximal position, first NaN), and the
/// weight, bias and input gradients; on the AVX-512 kernel and the portable path.
/// </summary>
public sealed class DirectConvPoolTests
{
    // n, c, h, w, o, padding, relu: pooled widths 1 to 17 (a masked tail, a second 16-lane block), 1 to 4 channels,
    // output channels not a multiple of four, batch 1.
    public static TheoryData<int, int, int, int, int, int, bool> Cases => new()
    {
        { 2, 1, 28, 28, 32, 1, true },
        { 1, 1, 28, 28, 5, 1, false },
        { 3, 3, 8, 18, 6, 1, true },
        { 1, 3, 10, 36, 7, 1, true },
        { 2, 2, 6, 4, 3, 0, false },
        { 1, 4, 2, 2, 2, 1, true },
        { 2, 1, 12, 34, 1, 0, true },
    };

    private sealed record Result(double[] Y, double[] Dx, double[] Dw, double[] Db);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDoubleLoopOnBothPaths(int n, int c, int h, int w, int o, int p, bool relu)
    {
        var xs = Random(1, n * c * h * w);
        var ws = Random(2, o * c * 9);
        var bs = Random(3, o);
        foreach (bool scalar in new[] { false, true })
        {
            var (y, dx, dw, db, g) = RunFused(xs, ws, bs, n, c, h, w, o, p, relu, scalar, inputGrad: true);
            var r = Reference(xs, ws, bs, g, n, c, h, w, o, p, relu);
            Assertions.AllClose(r.Y, y, 1e-5, 1e-5);
            Assertions.AllClose(r.Dw, dw, 1e-4, 1e-5);
            Assertions.AllClose(r.Db, db, 1e-4, 1e-5);
            Assertions.AllClose(r.Dx, dx, 1e-4, 1e-5);
        }
    }

    [Fact]
    public void TiesFollowTheFirstMaximumExactly()
    {
        // Small integers: every sum is exact in float, so ties (many, with zero weights and pixels) are real ties.
        int n = 2, c = 1, h = 10, w = 20, o = 6, p = 1;
        var rng = new System.Random(4);
        var xs = Enumerable.Range(0, n * c * h * w).Select(_ => (float)rng.Next(-1, 2)).ToArray();
        var ws = Enumerable.Range(0, o * c * 9).Select(_ => (float)rng.Next(-1, 2)).ToArray();
        var bs = new float[o];
        foreach (bool relu in new[] { false, true })
        {
            foreach (bool scalar in new[] { false, true })
            {
                var (y, dx, dw, db, g) = RunFused(xs, ws, bs, n, c, h, w, o, p, relu, scalar, inputGrad: true);
                var r = Reference(xs, ws, bs, g, n, c, h, w, o, p, relu);
                Assertions.AllClose(r.Y, y, 0, 0);
                Assertions.AllClose(r.Dw, dw, 1e-5, 1e-6);
                Assertions.AllClose(r.Db, db, 1e-5, 1e-6);
                Assertions.AllClose(r.Dx, dx, 1e-5, 1e-6);
            }
        }
    }

    [Fact]
    public void NaNPixelPropagatesAsThePoolRuleSays()
    {
        int n = 1, c = 1, h = 8, w = 20, o = 4, p = 1;
        var xs = Random(5, n * c * h * w);
        xs[(3 * w) + 9] = float.NaN;
        var ws = Random(6, o * c * 9);
        var bs = Random(7, o);
        foreach (bool scalar in new[] { false, true })
        {
            var (y, dx, dw, db, g) = RunFused(xs, ws, bs, n, c, h, w, o, p, relu: true, scalar, inputGrad: false);
            var r = Reference(xs, ws, bs, g, n, c, h, w, o, p, relu: true);
            Assert.Contains(y, float.IsNaN);
            Assertions.AllClose(r.Y, y, 1e-5, 1e-5);
            Assertions.AllClose(r.Dw, dw, 1e-4, 1e-5);
            Assertions.AllClose(r.Db, db, 1e-4, 1e-5);
        }
    }

    [Theory]
    [InlineData(1, 4)] // direct path
    [InlineData(8, 8)] // Winograd path
    public void FrozenWeightsStillGiveTheMaskedBiasGradient(int c, int o)
    {
        int n = 2, h = 8, w = 10, p = 1;
        var xs = Random(11, n * c * h * w);
        var ws = Random(12, o * c * 9);
        var bs = Random(13, o);
        foreach (bool relu in new[] { false, true })
        {
            var x = Tensor.FromArray((float[])xs.Clone(), n, c, h, w);
            var conv = new Conv2d(c, o, 3, padding: p);
            ws.CopyTo(conv.Weight.Span);
            bs.CopyTo(conv.Bias!.Span);
            conv.Weight.RequiresGrad = false;
            var model = relu ? new Sequential(conv, new ReLU(), new MaxPool2d(2)) : new Sequential(conv, new MaxPool2d(2));
            var y = model.Forward(x);
            var g = GradCheck.Random(98, y.Shape);
            y.Backward(g);
            var r = Reference(xs, ws, bs, g.ToArray(), n, c, h, w, o, p, relu);
            Assertions.AllClose(r.Y, y.ToArray(), 1e-5, 1e-5);
            Assertions.AllClose(r.Db, conv.Bias.Grad!.ToArray(), 1e-5, 1e-5);
            Assert.Null(conv.Weight.Grad);
        }
    }

    [Fact]
    public void OneOrTwoWorkerRangesGiveTheSameBits()
    {
        var xs = Random(8, 24 * 28 * 28);
        var ws = Random(9, 32 * 9);
        var bs = Random(10, 32);
        var parallel = RunFused(xs, ws, bs, 24, 1, 28, 28, 32, 1, true, scalar: false, inputGrad: false);
        var serial = OneWorkerRange.Run(() => RunFused(xs, ws, bs, 24, 1, 28, 28, 32, 1, true, scalar: false, inputGrad: false));
        Assert.Equal(serial.Y, parallel.Y);
        Assert.Equal(serial.Dw, parallel.Dw);
        Assert.Equal(serial.Db, parallel.Db);
    }

    [Avx512Fact]
    public void RunsTheRegisterKernelWhereAvx512Is()
    {
        var geo = new ConvGeometry(1, 28, 28, 3, 3, 1, 1, 1);
        Assert.True(DirectConvPool.Applies(geo));
        DirectConv3x3.ForceScalar = true;
        try
        {
            Assert.False(DirectConvPool.Applies(geo));
        }
        finally
        {
            DirectConv3x3.ForceScalar = false;
        }
    }

    private static float[] Random(ulong seed, int count) => GradCheck.Random(seed, [count]).ToArray();

    private static (float[] Y, float[] Dx, float[] Dw, float[] Db, float[] G) RunFused(float[] xs, float[] ws, float[] bs, int n, int c, int h, int w,
        int o, int p, bool relu, bool scalar, bool inputGrad)
    {
        DirectConv3x3.ForceScalar = scalar;
        PoolKernels.ForceScalar = scalar;
        try
        {
            var x = Tensor.FromArray((float[])xs.Clone(), n, c, h, w);
            x.RequiresGrad = inputGrad;
            var conv = new Conv2d(c, o, 3, padding: p);
            ws.CopyTo(conv.Weight.Span);
            bs.CopyTo(conv.Bias!.Span);
            var model = relu ? new Sequential(conv, new ReLU(), new MaxPool2d(2)) : new Sequential(conv, new MaxPool2d(2));
            var y = model.Forward(x);
            var g = GradCheck.Random(99, y.Shape);
            y.Backward(g);
            return (y.ToArray(), inputGrad ? x.Grad!.ToArray() : [], conv.Weight.Grad!.ToArray(), conv.Bias.Grad!.ToArray(), g.ToArray());
        }
        finally
        {
            DirectConv3x3.ForceScalar = false;
            PoolKernels.ForceScalar = false;
        }
    }

    // Conv in double, then the pool (first maximal position, a NaN wins: the first one), then ReLU (NaN stays, its
    // gradient is blocked); the backward accumulates every convolution output's gradient (zero or not) times its inputs.
    private static Result Reference(float[] xs, float[] ws, float[] bs, float[] g, int n, int c, int h, int w, int o, int p, bool relu)
    {
        int ho = h + (2 * p) - 2, wo = w + (2 * p) - 2, hq = ho / 2, wq = wo / 2;
        var y = new double[n * o * hq * wq];
        var dx = new double[xs.Length];
        var dw = new double[ws.Length];
        var db = new double[o];
        var conv = new double[ho * wo];
        var dconv = new double[ho * wo];
        for (int ni = 0; ni < n; ni++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int oh = 0; oh < ho; oh++)
                {
                    for (int ow = 0; ow < wo; ow++)
                    {
                        double acc = bs[oc];
                        ForTaps(ni, oc, oh, ow, (xi, wi) => acc += (double)xs[xi] * ws[wi]);
                        conv[(oh * wo) + ow] = acc;
                    }
                }
                Array.Clear(dconv);
                for (int qh = 0; qh < hq; qh++)
                {
                    for (int qw = 0; qw < wq; qw++)
                    {
                        int[] at = [(2 * qh * wo) + (2 * qw), (2 * qh * wo) + (2 * qw) + 1, (((2 * qh) + 1) * wo) + (2 * qw), (((2 * qh) + 1) * wo) + (2 * qw) + 1];
                        int win = Array.FindIndex(at, a => double.IsNaN(conv[a]));
                        if (win < 0)
                        {
                            double m = at.Max(a => conv[a]);
                            win = Array.FindIndex(at, a => conv[a] == m);
                        }
                        double v = conv[at[win]];
                        int yi = (((((ni * o) + oc) * hq) + qh) * wq) + qw;
                        bool pass = !relu || v > 0;
                        y[yi] = relu && !double.IsNaN(v) ? Math.Max(v, 0) : v;
                        dconv[at[win]] = pass ? g[yi] : 0;
                    }
                }
                for (int oh = 0; oh < ho; oh++)
                {
                    for (int ow = 0; ow < wo; ow++)
                    {
                        double go = dconv[(oh * wo) + ow];
                        db[oc] += go;
                        ForTaps(ni, oc, oh, ow, (xi, wi) =>
                        {
                            dw[wi] += go * xs[xi];
                            dx[xi] += go * ws[wi];
                        });
                    }
                }
            }
        }
        return new Result(y, dx, dw, db);

        void ForTaps(int ni, int oc, int oh, int ow, Action<int, int> body)
        {
            for (int ci = 0; ci < c; ci++)
            {
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        int ih = oh - p + i, iw = ow - p + j;
                        if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                        {
                            continue;
                        }
                        body((((((ni * c) + ci) * h) + ih) * w) + iw, (((((oc * c) + ci) * 3) + i) * 3) + j);
                    }
                }
            }
        }
    }
}
