using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>
/// Winograd F(2×2, 3×3) convolution against plain double loops and against the im2col path: forward, input,
/// weight and bias gradients, odd and even sizes, padding 0/1/2, and finite differences through the Winograd path.
/// </summary>
public sealed class WinogradTests
{
    // n, c, o, h, w, padding
    public static TheoryData<int, int, int, int, int, int> Cases => new()
    {
        { 1, 1, 1, 5, 7, 0 },
        { 1, 1, 1, 5, 7, 1 },
        { 3, 3, 8, 5, 7, 1 },
        { 3, 8, 3, 5, 7, 0 },
        { 1, 8, 8, 14, 14, 1 },
        { 3, 3, 3, 14, 14, 0 },
        { 1, 3, 8, 28, 28, 1 },
        { 3, 1, 3, 28, 28, 0 },
        { 3, 8, 1, 9, 6, 1 },
        { 1, 3, 1, 3, 3, 0 },
        { 1, 1, 3, 1, 1, 1 },
        { 3, 3, 3, 4, 5, 2 },
        { 1, 3, 8, 3, 10, 0 },
        { 2, 2, 3, 6, 35, 1 },
        { 1, 2, 2, 7, 34, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndGradientsMatchNestedLoops(int n, int c, int o, int h, int w, int pad)
    {
        var xv = GradCheck.Random(1, [n, c, h, w]).ToArray();
        var wv = GradCheck.Random(2, [o, c, 3, 3]).ToArray();
        var bv = GradCheck.Random(3, [o]).ToArray();
        int ho = h + (2 * pad) - 2, wo = w + (2 * pad) - 2;
        var gv = GradCheck.Random(4, [n, o, ho, wo]).ToArray();

        var (ey, edx, edw, edb) = ConvReference.Conv3x3(xv, wv, bv, gv, n, c, o, h, w, pad);
        // Both the SIMD transforms (where the CPU has them) and the portable scalar ones.
        foreach (bool scalar in new[] { false, true })
        {
            var (y, dx, dw, db) = Run(xv, wv, bv, gv, n, c, o, h, w, pad, winograd: true, scalar);
            AssertClose(ey, y, $"y (scalar {scalar})");
            AssertClose(edx, dx, $"dx (scalar {scalar})");
            AssertClose(edw, dw, $"dw (scalar {scalar})");
            AssertClose(edb, db, $"db (scalar {scalar})");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesIm2ColPath(int n, int c, int o, int h, int w, int pad)
    {
        var xv = GradCheck.Random(5, [n, c, h, w]).ToArray();
        var wv = GradCheck.Random(6, [o, c, 3, 3]).ToArray();
        var bv = GradCheck.Random(7, [o]).ToArray();
        var gv = GradCheck.Random(8, [n, o, h + (2 * pad) - 2, w + (2 * pad) - 2]).ToArray();

        var a = Run(xv, wv, bv, gv, n, c, o, h, w, pad, winograd: true);
        var b = Run(xv, wv, bv, gv, n, c, o, h, w, pad, winograd: false);

        AssertClose(Widen(b.Y), a.Y, "y");
        AssertClose(Widen(b.Dx), a.Dx, "dx");
        AssertClose(Widen(b.Dw), a.Dw, "dw");
        AssertClose(Widen(b.Db), a.Db, "db");
    }

    [Fact]
    public void LargeChannelCountsPickWinogradByDefaultAndMatchIm2Col()
    {
        // C·O = 512 ≥ the threshold, several chunks of images (batch 40 of 14×14 at 32→16 channels).
        int n = 40, c = 32, o = 16, h = 14, w = 14;
        var xv = GradCheck.Random(9, [n, c, h, w]).ToArray();
        var wv = GradCheck.Random(10, [o, c, 3, 3], -0.2f, 0.2f).ToArray();
        var gv = GradCheck.Random(11, [n, o, h, w]).ToArray();

        var a = Run(xv, wv, null, gv, n, c, o, h, w, 1, winograd: null);
        var b = Run(xv, wv, null, gv, n, c, o, h, w, 1, winograd: false);

        AssertClose(Widen(b.Y), a.Y, "y");
        AssertClose(Widen(b.Dx), a.Dx, "dx");
        AssertClose(Widen(b.Dw), a.Dw, "dw", relTol: 1e-4);
    }

    [Fact]
    public void GradCheckThroughWinograd()
    {
        Winograd.ForceWinograd = true;
        try
        {
            var x = GradCheck.Random(12, [2, 2, 5, 6]);
            var wt = GradCheck.Random(13, [3, 2, 3, 3]);
            var b = GradCheck.Random(14, [3]);
            GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], padding: 1), [x, wt, b]);
            GradCheck.Check(t => Ops.Conv2d(t[0], t[1]), [GradCheck.Random(15, [1, 2, 5, 4]), GradCheck.Random(16, [2, 2, 3, 3])]);
        }
        finally
        {
            Winograd.ForceWinograd = false;
        }
    }

    [Fact]
    public void OnlyInputGradientWhenWeightIsFrozen()
    {
        var xv = GradCheck.Random(17, [2, 3, 6, 5]).ToArray();
        var wv = GradCheck.Random(18, [4, 3, 3, 3]).ToArray();
        var gv = GradCheck.Random(19, [2, 4, 6, 5]).ToArray();
        var (_, edx, _, _) = ConvReference.Conv3x3(xv, wv, new float[4], gv, 2, 3, 4, 6, 5, 1);
        Winograd.ForceWinograd = true;
        try
        {
            var x = new Tensor(xv, [2, 3, 6, 5]) { RequiresGrad = true };
            var wt = new Tensor(wv, [4, 3, 3, 3]);
            Ops.Conv2d(x, wt, padding: 1).Backward(new Tensor(gv, [2, 4, 6, 5]));
            Assert.Null(wt.Grad);
            AssertClose(edx, x.Grad!.ToArray(), "dx");
        }
        finally
        {
            Winograd.ForceWinograd = false;
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BiasGradientWithFrozenWeight(bool inputNeedsGrad)
    {
        // The bias gradient comes from the dM transform when the input needs a gradient, else from a plain sum.
        var xv = GradCheck.Random(27, [2, 3, 6, 5]).ToArray();
        var wv = GradCheck.Random(28, [4, 3, 3, 3]).ToArray();
        var gv = GradCheck.Random(29, [2, 4, 6, 5]).ToArray();
        var expected = new double[4];
        for (int i = 0; i < gv.Length; i++)
        {
            expected[i / 30 % 4] += gv[i];
        }
        Winograd.ForceWinograd = true;
        try
        {
            var x = new Tensor(xv, [2, 3, 6, 5]) { RequiresGrad = inputNeedsGrad };
            var b = new Tensor(new float[4], [4]) { RequiresGrad = true };
            Ops.Conv2d(x, new Tensor(wv, [4, 3, 3, 3]), b, padding: 1).Backward(new Tensor(gv, [2, 4, 6, 5]));
            AssertClose(expected, b.Grad!.ToArray(), "db");
        }
        finally
        {
            Winograd.ForceWinograd = false;
        }
    }

    [Fact]
    public void ZeroInputGivesBiasOnly()
    {
        Winograd.ForceWinograd = true;
        try
        {
            var y = Ops.Conv2d(Tensor.Zeros([1, 2, 4, 3]), GradCheck.Random(20, [3, 2, 3, 3]), new Tensor([1f, -2f, 0.5f], [3]), padding: 1).ToArray();
            for (int i = 0; i < y.Length; i++)
            {
                Assert.Equal(i < 12 ? 1f : i < 24 ? -2f : 0.5f, y[i]);
            }
        }
        finally
        {
            Winograd.ForceWinograd = false;
        }
    }

    [Fact]
    public void NaNInInputPropagatesOnlyToTilesThatSeeIt()
    {
        // Winograd mixes a whole 4×4 input tile into each 2×2 output tile: a NaN reaches the tiles that read it, no others.
        Winograd.ForceWinograd = true;
        try
        {
            var xv = new float[8 * 8];
            xv[0] = float.NaN;
            var y = Ops.Conv2d(new Tensor(xv, [1, 1, 8, 8]), Tensor.Ones([1, 1, 3, 3])).ToArray();
            Assert.True(float.IsNaN(y[0]));
            Assert.False(float.IsNaN(y[(5 * 6) + 5]));
        }
        finally
        {
            Winograd.ForceWinograd = false;
        }
    }

    private static (float[] Y, float[] Dx, float[] Dw, float[] Db) Run(float[] xv, float[] wv, float[]? bv, float[] gv,
        int n, int c, int o, int h, int w, int pad, bool? winograd, bool scalar = false)
    {
        Winograd.ForceScalar = scalar;
        Winograd.ForceWinograd = winograd == true;
        Winograd.ForceIm2Col = winograd == false;
        try
        {
            var x = new Tensor((float[])xv.Clone(), [n, c, h, w]) { RequiresGrad = true };
            var wt = new Tensor((float[])wv.Clone(), [o, c, 3, 3]) { RequiresGrad = true };
            var b = bv is null ? null : new Tensor((float[])bv.Clone(), [o]) { RequiresGrad = true };
            var y = Ops.Conv2d(x, wt, b, padding: pad);
            y.Backward(new Tensor((float[])gv.Clone(), (int[])y.Dims.Clone()));
            return (y.ToArray(), x.Grad!.ToArray(), wt.Grad!.ToArray(), b?.Grad!.ToArray() ?? []);
        }
        finally
        {
            Winograd.ForceScalar = false;
            Winograd.ForceWinograd = false;
            Winograd.ForceIm2Col = false;
        }
    }

    private static double[] Widen(float[] a) => Array.ConvertAll(a, v => (double)v);

    private static void AssertClose(double[] expected, float[] actual, string what, double relTol = 2e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (var e in expected)
        {
            scale = Math.Max(scale, Math.Abs(e));
        }
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = 1e-5 + (relTol * Math.Max(1, scale));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"{what}[{i}]: expected {expected[i]:G7}, got {actual[i]:G7}.");
        }
    }
}
