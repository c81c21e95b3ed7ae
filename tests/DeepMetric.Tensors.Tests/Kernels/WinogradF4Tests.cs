using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>
/// The F(4×4, 3×3) tile transforms against the contract's matrices applied in double precision (Bᵀ d B per 6×6 tile of
/// the zero-padded input, G g Gᵀ, Aᵀ M A cropped to the output), the three composed against a direct convolution, and
/// the vectorised path bit for bit against the scalar one.
/// </summary>
public sealed class WinogradF4Tests
{
    private static readonly double[,] s_bt =
    {
        { 4, 0, -5, 0, 1, 0 }, { 0, -4, -4, 1, 1, 0 }, { 0, 4, -4, -1, 1, 0 },
        { 0, -2, -1, 2, 1, 0 }, { 0, 2, -1, -2, 1, 0 }, { 0, 4, 0, -5, 0, 1 },
    };

    private static readonly double[,] s_g =
    {
        { 1.0 / 4, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 },
    };

    private static readonly double[,] s_at =
    {
        { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 0 }, { 0, 1, 1, 4, 4, 0 }, { 0, 1, -1, 8, -8, 1 },
    };

    private static ConvGeometry Geo(int c, int h, int w, int pad) => new(c, h, w, 3, 3, 1, pad, 1);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(70, 61)]   // over the parallel threshold, odd split
    public void Weight_transform_is_G_g_Gt(int o, int c)
    {
        var w = Tensor.Rand(new Prng(3), [o, c, 3, 3], -1f, 1f).ToArray();
        int oc = o * c;
        var u = new float[WinogradF4.Xi * oc];
        WinogradF4.TransformWeights(w, o, c, u);
        var expected = new double[u.Length];
        for (int k = 0; k < oc; k++)
        {
            for (int i = 0; i < 6; i++)
            {
                for (int j = 0; j < 6; j++)
                {
                    double s = 0;
                    for (int a = 0; a < 3; a++)
                    {
                        for (int b = 0; b < 3; b++)
                        {
                            s += s_g[i, a] * w[(k * 9) + (a * 3) + b] * s_g[j, b];
                        }
                    }
                    expected[(((i * 6) + j) * oc) + k] = s;
                }
            }
        }
        Assertions.AllClose(expected, u, 1e-6, 1e-5);
        var scalar = Scalar(() =>
        {
            var us = new float[u.Length];
            WinogradF4.TransformWeights(w, o, c, us);
            return us;
        });
        Assert.Equal(scalar, u);
    }

    [Theory]
    [InlineData(1, 1, 6, 6, 0, 0, -1)]     // one tile, no padding
    [InlineData(2, 3, 7, 9, 1, 0, -1)]     // odd sizes, padding on every edge, tiles reading past the padded input
    [InlineData(1, 2, 13, 5, 1, 1, 3)]     // a band of tile rows in the middle
    [InlineData(3, 1, 8, 8, 2, 2, -1)]     // padding 2, a band at the bottom
    [InlineData(2, 4, 56, 37, 1, 0, 5)]    // many tile columns (vector blocks and a partial block), top band
    [InlineData(2, 3, 14, 14, 1, 0, -1)]   // 4 tiles a row (ResNet's 14×14), vector blocks spanning rows and images
    [InlineData(1, 2, 29, 29, 1, 6, -1)]   // 8 tiles a row, bottom band
    [InlineData(1, 1, 7, 7, 1, 0, -1)]     // 2 tiles a row (ResNet's 7×7)
    public void Input_transform_is_Bt_d_B(int n, int c, int h, int w, int pad, int ti0, int ti1)
    {
        var g = Geo(c, h, w, pad);
        var x = Tensor.Rand(new Prng(5), [n, c, h, w], -2f, 2f).ToArray();
        int th = WinogradF4.TilesH(g), tw = WinogradF4.TilesW(g), t1 = ti1 < 0 ? th : ti1;
        int tPer = (t1 - ti0) * tw, tAll = n * tPer, ct = c * tAll;
        var expected = new double[WinogradF4.Xi * ct];
        var d = new double[6, 6];
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int ti = ti0; ti < t1; ti++)
                {
                    for (int tj = 0; tj < tw; tj++)
                    {
                        for (int r = 0; r < 6; r++)
                        {
                            for (int s = 0; s < 6; s++)
                            {
                                int ih = (4 * ti) + r - pad, iw = (4 * tj) + s - pad;
                                d[r, s] = ih < 0 || ih >= h || iw < 0 || iw >= w ? 0 : x[(((((b * c) + ch) * h) + ih) * w) + iw];
                            }
                        }
                        int at = (ch * tAll) + (b * tPer) + ((ti - ti0) * tw) + tj;
                        for (int i = 0; i < 6; i++)
                        {
                            for (int j = 0; j < 6; j++)
                            {
                                double s = 0;
                                for (int a = 0; a < 6; a++)
                                {
                                    for (int q = 0; q < 6; q++)
                                    {
                                        s += s_bt[i, a] * d[a, q] * s_bt[j, q];
                                    }
                                }
                                expected[(((i * 6) + j) * ct) + at] = s;
                            }
                        }
                    }
                }
            }
        }
        float[] Run()
        {
            var v = new float[WinogradF4.Xi * ct];
            var plane = new float[WinogradF4.PlaneScratch(g)];
            WinogradF4.TransformInput(x, n, g, v, plane, ti0, ti1);
            return v;
        }
        var fast = Run();
        // Exact in double for these inputs up to the float rounding of each partial sum (values up to 100·2).
        Assertions.AllClose(expected, fast, 1e-4, 1e-5);
        Assert.Equal(Scalar(Run), fast);
    }

    [Theory]
    [InlineData(1, 1, 6, 6, 0, 0, -1, false)]
    [InlineData(2, 3, 7, 9, 1, 0, -1, true)]     // crops the last tile row and column (3 and 1 valid)
    [InlineData(1, 2, 14, 14, 1, 1, 3, true)]    // a band; 14 = 3·4 + 2
    [InlineData(2, 2, 56, 37, 1, 2, 9, false)]   // many tile columns
    public void Output_transform_is_At_M_A_cropped(int n, int o, int h, int w, int pad, int ti0, int ti1, bool withBias)
    {
        var g = Geo(1, h, w, pad);
        int th = WinogradF4.TilesH(g), tw = WinogradF4.TilesW(g), t1 = ti1 < 0 ? th : ti1, ho = g.Ho, wo = g.Wo;
        int tPer = (t1 - ti0) * tw, tAll = n * tPer, ot = o * tAll;
        var m = Tensor.Rand(new Prng(8), [WinogradF4.Xi * ot], -1f, 1f).ToArray();
        var bias = withBias ? Tensor.Rand(new Prng(9), [o], -1f, 1f).ToArray() : [];
        const float Untouched = -12345f;
        var expected = new double[n * o * ho * wo];
        Array.Fill(expected, Untouched);
        for (int b = 0; b < n; b++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int ti = ti0; ti < t1; ti++)
                {
                    for (int tj = 0; tj < tw; tj++)
                    {
                        int at = (oc * tAll) + (b * tPer) + ((ti - ti0) * tw) + tj;
                        for (int i = 0; i < 4; i++)
                        {
                            for (int j = 0; j < 4; j++)
                            {
                                int oh = (4 * ti) + i, ow = (4 * tj) + j;
                                if (oh >= ho || ow >= wo)
                                {
                                    continue;
                                }
                                double s = withBias ? bias[oc] : 0;
                                for (int a = 0; a < 6; a++)
                                {
                                    for (int q = 0; q < 6; q++)
                                    {
                                        s += s_at[i, a] * m[(((a * 6) + q) * ot) + at] * s_at[j, q];
                                    }
                                }
                                expected[(((((b * o) + oc) * ho) + oh) * wo) + ow] = s;
                            }
                        }
                    }
                }
            }
        }
        float[] Run()
        {
            var y = new float[n * o * ho * wo];
            Array.Fill(y, Untouched);
            WinogradF4.TransformOutput(m, n, o, g, bias, y, ti0, ti1);
            return y;
        }
        var fast = Run();
        // Rows outside the band and positions past Ho×Wo are not written.
        Assertions.AllClose(expected, fast, 1e-4, 1e-5);
        Assert.Equal(Scalar(Run), fast);
    }

    [Theory]
    [InlineData(1, 1, 1, 4, 4, 1)]
    [InlineData(1, 3, 2, 7, 7, 1)]      // 7×7 pads to 8×8 tiles
    [InlineData(2, 5, 3, 9, 11, 1)]
    [InlineData(1, 4, 6, 14, 14, 0)]
    [InlineData(2, 2, 3, 6, 5, 2)]
    public void Transforms_compose_to_the_convolution(int n, int c, int o, int h, int w, int pad)
    {
        var g = Geo(c, h, w, pad);
        var x = Tensor.Rand(new Prng(11), [n, c, h, w], -1f, 1f).ToArray();
        var wt = Tensor.Rand(new Prng(12), [o, c, 3, 3], -1f, 1f).ToArray();
        var bias = Tensor.Rand(new Prng(13), [o], -1f, 1f).ToArray();
        var y = Compose(x, wt, bias, n, c, o, g);
        var reference = ConvReference.Conv3x3(x, wt, bias, new float[n * o * g.P], n, c, o, h, w, pad).Y;
        Assertions.AllClose(reference, y, 1e-4, 1e-4);
    }

    [Fact]
    public void NaN_in_the_input_reaches_the_tiles_that_read_it_and_no_others()
    {
        int h = 12, w = 12;
        var g = Geo(1, h, w, 1);
        var x = new float[h * w];
        x[(5 * w) + 10] = float.NaN; // read by tile rows 1 (rows 4–9) and tile columns 2 (columns 8–13) only
        var y = Compose(x, [0, 0, 0, 0, 1, 0, 0, 0, 0], [0f], 1, 1, 1, g);
        for (int oh = 0; oh < h; oh++)
        {
            for (int ow = 0; ow < w; ow++)
            {
                bool reads = oh / 4 == 1 && ow / 4 == 2;
                Assert.Equal(reads, float.IsNaN(y[(oh * w) + ow]));
            }
        }
    }

    // The three transforms with the 36 products done in double: isolates the transforms' own rounding.
    private static float[] Compose(float[] x, float[] wt, float[] bias, int n, int c, int o, ConvGeometry g)
    {
        int t = n * WinogradF4.TilesH(g) * WinogradF4.TilesW(g);
        var u = new float[WinogradF4.Xi * o * c];
        WinogradF4.TransformWeights(wt, o, c, u);
        var v = new float[WinogradF4.Xi * c * t];
        WinogradF4.TransformInput(x, n, g, v, new float[WinogradF4.PlaneScratch(g)]);
        var m = new float[WinogradF4.Xi * o * t];
        for (int xi = 0; xi < WinogradF4.Xi; xi++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int ti = 0; ti < t; ti++)
                {
                    double s = 0;
                    for (int ch = 0; ch < c; ch++)
                    {
                        s += (double)u[(((xi * o) + oc) * c) + ch] * v[(((xi * c) + ch) * t) + ti];
                    }
                    m[(((xi * o) + oc) * t) + ti] = (float)s;
                }
            }
        }
        var y = new float[n * o * g.P];
        WinogradF4.TransformOutput(m, n, o, g, bias, y);
        return y;
    }

    private static float[] Scalar(Func<float[]> body)
    {
        bool parallel = KernelThreads.Parallel;
        Winograd.ForceScalar = true;
        KernelThreads.Parallel = false;
        try
        {
            return body();
        }
        finally
        {
            Winograd.ForceScalar = false;
            KernelThreads.Parallel = parallel;
        }
    }
}
