using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>
/// The F(4×4, 3×3) backward transforms against the matrices of the contract in double precision: the matrices first
/// checked to give a direct 3×3 correlation, then dM = A dY Aᵀ (with bias sums), dd = B dV Bᵀ scatter-added over the
/// overlapping tiles (whole images and bands), and dg = Gᵀ dU G; the SIMD and scalar paths the same bits; NaN passing.
/// </summary>
public sealed class WinogradF4BackwardTransformTests
{
    private static readonly double[,] Bt =
    {
        { 4, 0, -5, 0, 1, 0 },
        { 0, -4, -4, 1, 1, 0 },
        { 0, 4, -4, -1, 1, 0 },
        { 0, -2, -1, 2, 1, 0 },
        { 0, 2, -1, -2, 1, 0 },
        { 0, 4, 0, -5, 0, 1 },
    };

    private static readonly double[,] G =
    {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };

    private static readonly double[,] At =
    {
        { 1, 1, 1, 1, 1, 0 },
        { 0, 1, -1, 2, -2, 0 },
        { 0, 1, 1, 4, 4, 0 },
        { 0, 1, -1, 8, -8, 1 },
    };

    [Fact]
    public void Contract_matrices_give_the_direct_correlation()
    {
        var rng = new System.Random(5);
        var d = new double[6, 6];
        var g = new double[3, 3];
        for (int i = 0; i < 6; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                d[i, j] = rng.NextDouble() - 0.5;
            }
        }
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                g[i, j] = rng.NextDouble() - 0.5;
            }
        }
        // U = G g Gᵀ, V = Bᵀ d B, Y = Aᵀ (U ⊙ V) A.
        var u = new double[6, 6];
        var v = new double[6, 6];
        for (int a = 0; a < 6; a++)
        {
            for (int b = 0; b < 6; b++)
            {
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        u[a, b] += G[a, i] * g[i, j] * G[b, j];
                    }
                }
                for (int i = 0; i < 6; i++)
                {
                    for (int j = 0; j < 6; j++)
                    {
                        v[a, b] += Bt[a, i] * d[i, j] * Bt[b, j];
                    }
                }
            }
        }
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 4; x++)
            {
                double direct = 0, wino = 0;
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        direct += d[y + i, x + j] * g[i, j];
                    }
                }
                for (int a = 0; a < 6; a++)
                {
                    for (int b = 0; b < 6; b++)
                    {
                        wino += At[y, a] * u[a, b] * v[a, b] * At[x, b];
                    }
                }
                Assert.Equal(direct, wino, 1e-12);
            }
        }
    }

    // count, o, ho, wo (tile rows and columns ragged or not, wider than one 8-tile vector or not)
    public static TheoryData<int, int, int, int> OutputCases => new()
    {
        { 1, 1, 1, 1 },
        { 2, 3, 7, 7 },
        { 1, 2, 8, 8 },
        { 3, 2, 9, 35 },   // 9 tile columns: a vector of 8 and one more; last tile one column wide
        { 1, 4, 14, 14 },
        { 2, 1, 6, 66 },   // 17 tile columns
        { 1, 2, 5, 32 },   // exactly one vector of tiles
    };

    [Theory]
    [MemberData(nameof(OutputCases))]
    public void Output_gradient_is_A_dY_At_with_bias_sums(int count, int o, int ho, int wo)
    {
        var geo = Geometry(1, ho + 2, wo + 2, 0);
        int th = (ho + 3) / 4, tw = (wo + 3) / 4, t = count * th * tw;
        var dy = Tensor.Rand(new Prng(41), [count * o * ho * wo], -1f, 1f).ToArray();
        var expected = new double[36 * o * t];
        var eb = new double[o];
        for (int b = 0; b < count; b++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int ti = 0; ti < th; ti++)
                {
                    for (int tj = 0; tj < tw; tj++)
                    {
                        var tile = new double[4, 4];
                        for (int i = 0; i < 4; i++)
                        {
                            for (int j = 0; j < 4; j++)
                            {
                                int r = (4 * ti) + i, cc = (4 * tj) + j;
                                tile[i, j] = r < ho && cc < wo ? dy[((((b * o) + oc) * ho) + r) * wo + cc] : 0;
                                eb[oc] += tile[i, j];
                            }
                        }
                        int tt = (((b * th) + ti) * tw) + tj;
                        for (int a = 0; a < 6; a++)
                        {
                            for (int c = 0; c < 6; c++)
                            {
                                double sum = 0;
                                for (int i = 0; i < 4; i++)
                                {
                                    for (int j = 0; j < 4; j++)
                                    {
                                        sum += At[i, a] * tile[i, j] * At[j, c];
                                    }
                                }
                                expected[((((6 * a) + c) * o) + oc) * t + tt] = sum;
                            }
                        }
                    }
                }
            }
        }
        float[]? first = null;
        foreach (bool scalar in new[] { false, true })
        {
            var dm = new float[36 * o * t];
            var bias = new double[o];
            WithScalar(scalar, () => WinogradF4Backward.OutputGradient(dy, count, o, geo, dm, bias));
            Assertions.AllClose(expected, dm, 1e-5, 1e-5);
            Assertions.AllClose(eb, Array.ConvertAll(bias, x => (float)x), 1e-4, 1e-5);
            if (first is null)
            {
                first = dm;
            }
            else
            {
                Assert.Equal(first, dm);
            }
        }
    }

    [Fact]
    public void Output_gradient_in_bands_equals_whole_images()
    {
        int o = 3, ho = 18, wo = 37;
        var geo = Geometry(1, ho + 2, wo + 2, 0);
        int th = 5, tw = 10;
        var dy = Tensor.Rand(new Prng(42), [o * ho * wo], -1f, 1f).ToArray();
        foreach (bool scalar in new[] { false, true })
        {
            var whole = new float[36 * o * th * tw];
            WithScalar(scalar, () => WinogradF4Backward.OutputGradient(dy, 1, o, geo, whole));
            for (int ti0 = 0; ti0 < th; ti0 += 2)
            {
                int ti1 = Math.Min(th, ti0 + 2), t = (ti1 - ti0) * tw;
                var band = new float[36 * o * t];
                WithScalar(scalar, () => WinogradF4Backward.OutputGradient(dy, 1, o, geo, band, default, ti0, ti1));
                for (int xi = 0; xi < 36; xi++)
                {
                    for (int oc = 0; oc < o; oc++)
                    {
                        for (int k = 0; k < t; k++)
                        {
                            Assert.Equal(whole[(((xi * o) + oc) * th * tw) + (ti0 * tw) + k], band[(((xi * o) + oc) * t) + k]);
                        }
                    }
                }
            }
        }
    }

    // count, c, h, w, padding, tile rows per band (0: whole image)
    public static TheoryData<int, int, int, int, int, int> InputCases => new()
    {
        { 1, 1, 3, 3, 1, 0 },
        { 2, 3, 7, 7, 1, 0 },
        { 1, 2, 7, 7, 1, 1 },    // 7×7 → 2×2 tiles, single-row bands
        { 3, 2, 9, 35, 1, 2 },   // 9 tile columns
        { 1, 1, 10, 10, 0, 1 },  // no padding: the last tile's right columns are image columns
        { 2, 2, 12, 68, 1, 3 },  // 17 tile columns; Wo divisible by 4
        { 1, 2, 11, 9, 2, 2 },   // padding 2
        { 1, 3, 32, 30, 1, 3 },
    };

    [Theory]
    [MemberData(nameof(InputCases))]
    public void Input_gradient_is_B_dV_Bt_summed_over_overlapping_tiles(int count, int c, int h, int w, int pad, int bandRows)
    {
        var geo = Geometry(c, h, w, pad);
        int th = (geo.Ho + 3) / 4, tw = (geo.Wo + 3) / 4, t = count * th * tw;
        var dv = Tensor.Rand(new Prng(43), [36 * c * t], -1f, 1f).ToArray();
        // Scatter B dV Bᵀ onto zero-padded planes of (4·th + 2) × (4·tw + 2), then crop.
        int hp = (4 * th) + 2, wp = (4 * tw) + 2;
        var expected = new double[count * c * h * w];
        for (int b = 0; b < count; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                var planeD = new double[hp, wp];
                for (int ti = 0; ti < th; ti++)
                {
                    for (int tj = 0; tj < tw; tj++)
                    {
                        int tt = (((b * th) + ti) * tw) + tj;
                        for (int i = 0; i < 6; i++)
                        {
                            for (int j = 0; j < 6; j++)
                            {
                                double sum = 0;
                                for (int a = 0; a < 6; a++)
                                {
                                    for (int cc = 0; cc < 6; cc++)
                                    {
                                        sum += Bt[a, i] * dv[((((6 * a) + cc) * c) + ch) * t + tt] * Bt[cc, j];
                                    }
                                }
                                planeD[(4 * ti) + i, (4 * tj) + j] += sum;
                            }
                        }
                    }
                }
                for (int r = 0; r < h; r++)
                {
                    for (int col = 0; col < w; col++)
                    {
                        expected[((((b * c) + ch) * h) + r) * w + col] = planeD[r + pad, col + pad];
                    }
                }
            }
        }
        var plane = new float[WinogradF4Backward.PlaneScratch(geo)];
        float[]? first = null;
        foreach (bool scalar in new[] { false, true })
        {
            var dx = new float[count * c * h * w];
            Array.Fill(dx, 123f); // every element is written
            WithScalar(scalar, () => WinogradF4Backward.InputGradient(dv, count, geo, dx, plane));
            Assertions.AllClose(expected, dx, 1e-4, 1e-5);
            first ??= dx;
            Assert.Equal(first, dx);
            if (bandRows > 0)
            {
                // Band by band, image by image (dV re-laid out per band), top to bottom: the same bits.
                var banded = new float[dx.Length];
                for (int b = 0; b < count; b++)
                {
                    for (int ti0 = 0; ti0 < th; ti0 += bandRows)
                    {
                        int ti1 = Math.Min(th, ti0 + bandRows), tb = (ti1 - ti0) * tw;
                        var dvb = new float[36 * c * tb];
                        for (int xc = 0; xc < 36 * c; xc++)
                        {
                            Array.Copy(dv, (xc * t) + (((b * th) + ti0) * tw), dvb, xc * tb, tb);
                        }
                        WithScalar(scalar, () => WinogradF4Backward.InputGradient(dvb, 1, geo, banded.AsSpan(b * c * h * w, c * h * w), plane, ti0, ti1));
                    }
                }
                Assert.Equal(dx, banded);
            }
        }
    }

    [Fact]
    public void NaN_in_dV_reaches_only_its_tiles_input_window()
    {
        var geo = Geometry(1, 20, 20, 1);
        int th = 5, tw = 5, t = th * tw;
        var dv = Tensor.Rand(new Prng(44), [36 * t], -1f, 1f).ToArray();
        // ξ = 0 (row 0, column 0) of tile (2, 3): B's column 0 is [4, 0, −5, 0, 1, 0], so the NaN reaches rows and
        // columns 0, 2, 4 of the tile's 6×6 window only (padded rows 8, 10, 12 and columns 12, 14, 16).
        dv[(2 * tw) + 3] = float.NaN;
        foreach (bool scalar in new[] { false, true })
        {
            var dx = new float[400];
            WithScalar(scalar, () => WinogradF4Backward.InputGradient(dv, 1, geo, dx, new float[WinogradF4Backward.PlaneScratch(geo)]));
            for (int r = 0; r < 20; r++)
            {
                for (int col = 0; col < 20; col++)
                {
                    int pr = r + 1, pc = col + 1;
                    bool hit = (pr == 8 || pr == 10 || pr == 12) && (pc == 12 || pc == 14 || pc == 16);
                    Assert.True(hit == float.IsNaN(dx[(r * 20) + col]), $"dx[{r}, {col}] (scalar {scalar})");
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(64, 64)]
    [InlineData(7, 9)]
    public void Weight_gradient_is_Gt_dU_G_the_same_bits_on_both_paths(int o, int c)
    {
        int oc = o * c;
        var du = Tensor.Rand(new Prng(45), [36 * oc], -1f, 1f).ToArray();
        int nanPair = Math.Min(5, oc - 1);
        du[nanPair + (7 * oc)] = float.NaN; // ξ = 7 (row 1, column 1): G's row 1 is non-zero everywhere
        var fast = new float[oc * 9];
        var scalar = new float[oc * 9];
        WinogradF4Backward.WeightGradient(du, o, c, fast);
        WithScalar(true, () => WinogradF4Backward.WeightGradient(du, o, c, scalar));
        Assert.Equal(scalar, fast);
        var expected = new double[oc * 9];
        for (int k = 0; k < oc; k++)
        {
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++)
                {
                    double sum = 0;
                    for (int a = 0; a < 6; a++)
                    {
                        for (int b = 0; b < 6; b++)
                        {
                            sum += G[a, i] * du[(((6 * a) + b) * oc) + k] * G[b, j];
                        }
                    }
                    expected[(k * 9) + (3 * i) + j] = sum;
                }
            }
        }
        Assertions.AllClose(expected, fast, 1e-6, 1e-6);
        for (int i = 0; i < fast.Length; i++)
        {
            Assert.Equal(i / 9 == nanPair, float.IsNaN(fast[i]));
        }
    }

    private static ConvGeometry Geometry(int c, int h, int w, int pad) => new(c, h, w, 3, 3, 1, pad, 1);

    private static void WithScalar(bool scalar, Action body)
    {
        Winograd.ForceScalar = scalar;
        try
        {
            body();
        }
        finally
        {
            Winograd.ForceScalar = false;
        }
    }
}
