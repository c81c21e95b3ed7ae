using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Tests.Kernels;

public sealed class PoolKernelsTests
{
    [Fact]
    public void AdjacentPairMax_MatchesScalarReference_ForEveryLength()
    {
        var rng = new Prng(4);
        for (int n = 0; n <= 70; n++)
        {
            var src = new float[2 * n];
            for (int i = 0; i < src.Length; i++)
            {
                src[i] = (float)rng.NextNormal();
            }
            var dst = new float[n];
            PoolKernels.AdjacentPairMax(src, dst);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(Math.Max(src[2 * i], src[(2 * i) + 1]), dst[i]);
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(9)]
    [InlineData(15)]
    public void AdjacentPairMax_PropagatesNaNFromEitherSide(int nanAt)
    {
        var src = Enumerable.Range(0, 32).Select(i => (float)i).ToArray();
        src[nanAt] = float.NaN;
        var dst = new float[16];
        PoolKernels.AdjacentPairMax(src, dst);
        for (int i = 0; i < 16; i++)
        {
            if (i == nanAt / 2)
            {
                Assert.True(float.IsNaN(dst[i]), $"output {i} should be NaN");
            }
            else
            {
                Assert.Equal((2 * i) + 1, dst[i]);
            }
        }
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

    [Fact]
    public void MaxPool2x2BackwardRows_SimdMatchesFirstMaximumRule_WithTiesAndNaN()
    {
        // Windows (top-left, top-right, bottom-left, bottom-right) chosen to hit every tie pattern and NaN.
        float nan = float.NaN;
        float[][] windows =
        [
            [1, 1, 1, 1], [0, 2, 2, 0], [0, 0, 3, 3], [0, 0, 0, 4], [5, 0, 0, 5], [0, 6, 0, 6],
            [nan, 1, 2, 3], [1, nan, 2, nan], [0, 1, nan, 2], [0, 1, 2, nan], [nan, nan, nan, nan], [7, 2, 1, 0],
        ];
        int n = windows.Length;
        float[] top = new float[2 * n], bottom = new float[2 * n], y = new float[n], g = new float[n];
        for (int i = 0; i < n; i++)
        {
            (top[2 * i], top[(2 * i) + 1], bottom[2 * i], bottom[(2 * i) + 1]) = (windows[i][0], windows[i][1], windows[i][2], windows[i][3]);
            y[i] = windows[i].Any(float.IsNaN) ? nan : windows[i].Max();
            g[i] = i + 1;
        }
        float[] dTop = new float[2 * n], dBottom = new float[2 * n];
        PoolKernels.MaxPool2x2BackwardRows(top, bottom, y, g, dTop, dBottom);
        for (int i = 0; i < n; i++)
        {
            // Reference: the first of the four equal to the max (NaN matching NaN).
            int win = Enumerable.Range(0, 4).First(k => windows[i][k] == y[i] || (float.IsNaN(y[i]) && float.IsNaN(windows[i][k])));
            float[] got = [dTop[2 * i], dTop[(2 * i) + 1], dBottom[2 * i], dBottom[(2 * i) + 1]];
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(k == win ? g[i] : 0f, got[k]);
            }
        }
    }
}
