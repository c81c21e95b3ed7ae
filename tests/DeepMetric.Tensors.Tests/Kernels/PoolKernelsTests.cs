using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Tests.Kernels;

public sealed class PoolKernelsTests
{
    // Small integers (many ties), zeros of both signs, and a few NaNs and infinities.
    private static float[] TieHeavy(Prng rng, int length, double nanRate)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++)
        {
            double u = rng.NextDouble();
            v[i] = u < nanRate ? float.NaN
                : u < 2 * nanRate ? (rng.NextInt(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity)
                : rng.NextInt(5) switch { 0 => -0f, 1 => 0f, int k => k - 3 };
        }
        return v;
    }

    // Reference window order: top-left, top-right, bottom-left, bottom-right.
    private static float[] Window(float[] x, int plane, int w, int p, int i, int j)
    {
        int at = (p * plane) + (2 * i * w) + (2 * j);
        return [x[at], x[at + 1], x[at + w], x[at + w + 1]];
    }

    // Position of the first maximal element; with a NaN, of the first NaN.
    private static int FirstMaximum(float[] win)
    {
        int nan = Array.FindIndex(win, float.IsNaN);
        return nan >= 0 ? nan : Array.IndexOf(win, win.Max());
    }

    public static TheoryData<bool> Paths => new() { false, true };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Forward_MatchesPlainLoop_ForEveryWidthAndParity(bool scalar)
    {
        var rng = new Prng(11);
        PoolKernels.ForceScalar = scalar;
        try
        {
            foreach (int h in new[] { 2, 3, 4, 5 })
            {
                for (int w = 2; w <= 41; w++)
                {
                    int planes = 3, plane = h * w, ho = h / 2, wo = w / 2;
                    var x = TieHeavy(rng, planes * plane, 0.03);
                    var y = new float[planes * ho * wo];
                    var winners = new byte[y.Length];
                    PoolKernels.MaxPool2x2Forward(x, y, winners, planes, h, w);
                    for (int p = 0; p < planes; p++)
                    {
                        for (int i = 0; i < ho; i++)
                        {
                            for (int j = 0; j < wo; j++)
                            {
                                var win = Window(x, plane, w, p, i, j);
                                int o = (p * ho * wo) + (i * wo) + j;
                                bool nan = win.Any(float.IsNaN);
                                if (nan)
                                {
                                    Assert.True(float.IsNaN(y[o]), $"h={h} w={w} ({p},{i},{j}) should be NaN");
                                }
                                else
                                {
                                    Assert.Equal((double)win.Max(), y[o]);
                                }
                                Assert.Equal(FirstMaximum(win), winners[o]);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            PoolKernels.ForceScalar = false;
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Backward_GivesTheFirstMaximumTheGradient_AndWritesEveryElement(bool scalar)
    {
        var rng = new Prng(12);
        PoolKernels.ForceScalar = scalar;
        try
        {
            foreach (int h in new[] { 2, 3, 4, 5 })
            {
                for (int w = 2; w <= 41; w++)
                {
                    int planes = 3, plane = h * w, ho = h / 2, wo = w / 2;
                    var x = TieHeavy(rng, planes * plane, 0.03);
                    var y = new float[planes * ho * wo];
                    var winners = new byte[y.Length];
                    PoolKernels.MaxPool2x2Forward(x, y, winners, planes, h, w);
                    var g = new float[y.Length];
                    for (int o = 0; o < g.Length; o++)
                    {
                        g[o] = o + 1;
                    }
                    var dx = new float[x.Length];
                    Array.Fill(dx, 999f);
                    PoolKernels.MaxPool2x2Backward(winners, g, dx, planes, h, w);
                    var expected = new float[x.Length];
                    for (int p = 0; p < planes; p++)
                    {
                        for (int i = 0; i < ho; i++)
                        {
                            for (int j = 0; j < wo; j++)
                            {
                                var win = Window(x, plane, w, p, i, j);
                                int o = (p * ho * wo) + (i * wo) + j;
                                int k = FirstMaximum(win);
                                expected[(p * plane) + ((2 * i) + (k / 2)) * w + (2 * j) + (k % 2)] = g[o];
                            }
                        }
                    }
                    Assert.True(expected.AsSpan().SequenceEqual(dx), $"h={h} w={w}");
                }
            }
        }
        finally
        {
            PoolKernels.ForceScalar = false;
        }
    }

    [Fact]
    public void Kernels_RejectShortBuffers()
    {
        var ex = Assert.Throws<ArgumentException>(() => PoolKernels.MaxPool2x2Forward(new float[16], new float[3], new byte[4], 1, 4, 4));
        Assert.Equal("y", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => PoolKernels.MaxPool2x2Forward(new float[16], new float[4], new byte[3], 1, 4, 4));
        Assert.Equal("winners", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => PoolKernels.MaxPool2x2Backward(new byte[4], new float[4], new float[15], 1, 4, 4));
        Assert.Equal("g", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => PoolKernels.MaxPool2x2Backward(new byte[3], new float[4], new float[16], 1, 4, 4));
        Assert.Equal("winners", ex.ParamName);
    }

    [Fact]
    public void MaxPool2x2_OnWideImages_MatchesNestedLoops()
    {
        // Width 18 (even) and 17 (odd) exercise both fast paths with SIMD-sized rows.
        foreach (int w in new[] { 18, 17 })
        {
            var x = Tensor.RandN(new Prng(5), [2, 3, 7, w]);
            var y = Ops.MaxPool2d(x, 2);
            int ho = 3, wo = w / 2;
            Assert.Equal(new[] { 2, 3, ho, wo }, y.Shape);
            for (int n = 0; n < 2; n++)
            {
                for (int c = 0; c < 3; c++)
                {
                    for (int i = 0; i < ho; i++)
                    {
                        for (int j = 0; j < wo; j++)
                        {
                            float m = Math.Max(Math.Max(x[n, c, 2 * i, 2 * j], x[n, c, 2 * i, (2 * j) + 1]),
                                Math.Max(x[n, c, (2 * i) + 1, 2 * j], x[n, c, (2 * i) + 1, (2 * j) + 1]));
                            Assert.Equal(m, y[n, c, i, j]);
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(6, 18)]   // even sides: every input written once
    [InlineData(5, 18)]   // odd height: the last row gets no gradient
    [InlineData(6, 17)]   // odd width
    public void MaxPool2x2_Gradient_GoesToTheWindowMaximum(int h, int w)
    {
        var x = Tensor.RandN(new Prng(6), [1, 2, h, w]);
        x.RequiresGrad = true;
        var y = Ops.MaxPool2d(x, 2);
        var g = Tensor.RandN(new Prng(7), y.Shape);
        y.Backward(g);
        var expected = new float[x.Size];
        for (int c = 0; c < 2; c++)
        {
            for (int i = 0; i < h / 2; i++)
            {
                for (int j = 0; j < w / 2; j++)
                {
                    int bi = 2 * i, bj = 2 * j;
                    for (int a = 0; a < 2; a++)
                    {
                        for (int b = 0; b < 2; b++)
                        {
                            if (x[0, c, (2 * i) + a, (2 * j) + b] > x[0, c, bi, bj])
                            {
                                (bi, bj) = ((2 * i) + a, (2 * j) + b);
                            }
                        }
                    }
                    expected[(c * h * w) + (bi * w) + bj] = g[0, c, i, j];
                }
            }
        }
        Assert.Equal(expected, x.Grad!.ToArray());
    }
}
