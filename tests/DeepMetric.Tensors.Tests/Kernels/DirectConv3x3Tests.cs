using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

public sealed class DirectConv3x3Tests
{
    // n, c, h, w, o, padding: widths below, at and above 8 and 32 lanes, 1 to 4 channels, padding 0 to 2.
    public static TheoryData<int, int, int, int, int, int, bool> Cases => new()
    {
        { 2, 1, 28, 28, 5, 1, false },
        { 2, 1, 28, 28, 5, 1, true },
        { 3, 3, 5, 13, 4, 0, false },
        { 1, 2, 3, 3, 2, 1, true },
        { 2, 4, 9, 17, 3, 2, true },
        { 1, 1, 6, 34, 2, 0, false },
        { 2, 3, 4, 41, 3, 1, true },
        { 1, 1, 3, 3, 1, 0, true }, // a single output position
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndGradientsMatchNestedLoops(int n, int c, int h, int w, int o, int p, bool scalar)
    {
        Assert.True(DirectConv3x3.Applies(new ConvGeometry(c, h, w, 3, 3, 1, p, 1)));
        DirectConv3x3.ForceScalar = scalar;
        try
        {
            var x = GradCheck.Random(11, [n, c, h, w]);
            var wt = GradCheck.Random(12, [o, c, 3, 3]);
            var b = GradCheck.Random(13, [o]);
            x.RequiresGrad = true;
            wt.RequiresGrad = true;
            b.RequiresGrad = true;
            var y = Ops.Conv2d(x, wt, b, padding: p);
            int ho = h + (2 * p) - 2, wo = w + (2 * p) - 2;
            Assert.Equal([n, o, ho, wo], y.Shape);
            var g = GradCheck.Random(14, y.Shape);
            y.Backward(g);

            var (yRef, dx, dw, db) = ConvReference.Conv3x3(x.ToArray(), wt.ToArray(), b.ToArray(), g.ToArray(), n, c, o, h, w, p);
            Assertions.AllClose(yRef, y.ToArray(), 1e-5, 1e-5);
            Assertions.AllClose(dw, wt.Grad!.ToArray(), 1e-4, 1e-5);
            Assertions.AllClose(db, b.Grad!.ToArray(), 1e-4, 1e-5);
            Assertions.AllClose(dx, x.Grad!.ToArray(), 1e-4, 1e-5);
        }
        finally
        {
            DirectConv3x3.ForceScalar = false;
        }
    }

    [Fact]
    public void AgreesWithIm2ColWithoutBias()
    {
        var x = GradCheck.Random(21, [3, 2, 10, 12]);
        var wt = GradCheck.Random(22, [6, 2, 3, 3]);
        wt.RequiresGrad = true;
        var direct = Ops.Conv2d(x, wt, padding: 1);
        Ops.Sum(direct).Backward();
        var directGrad = wt.Grad!.ToArray();
        wt.Grad = null;
        Winograd.ForceIm2Col = true;
        try
        {
            var im2col = Ops.Conv2d(x, wt, padding: 1);
            Ops.Sum(im2col).Backward();
            Assertions.AllClose(im2col.ToArray(), direct.ToArray(), 1e-5, 1e-5);
            Assertions.AllClose(wt.Grad!.ToArray(), directGrad, 1e-4, 1e-5);
        }
        finally
        {
            Winograd.ForceIm2Col = false;
        }
    }

    [Fact]
    public void NonFiniteInputsStayInTheirOwnOutputs()
    {
        // A NaN pixel spoils exactly the outputs whose window covers it, not the zero padding's neighbours.
        var xs = new float[1 * 1 * 12 * 12];
        xs[(5 * 12) + 5] = float.NaN;
        var x = Tensor.FromArray(xs, [1, 1, 12, 12]);
        var wt = Tensor.Ones([1, 1, 3, 3]);
        var y = Ops.Conv2d(x, wt, padding: 1).ToArray();
        for (int r = 0; r < 12; r++)
        {
            for (int col = 0; col < 12; col++)
            {
                bool covered = Math.Abs(r - 5) <= 1 && Math.Abs(col - 5) <= 1;
                Assert.Equal(covered, float.IsNaN(y[(r * 12) + col]));
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ANaNPixelReachesOnlyTheWeightGradientsOfTheTapsThatSeeIt(bool scalar)
    {
        // 7×7, pad 1: output column ox reads input column ox + j − 1 at tap column j, so input column 6 is seen by taps
        // j = 1 and 2 only. The row's last vector holds lanes past the output width: a masked-off gradient times the
        // NaN there must not reach tap j = 0 (0 · NaN is NaN).
        DirectConv3x3.ForceScalar = scalar;
        try
        {
            var xs = new float[7 * 7];
            Array.Fill(xs, 0.5f);
            xs[(2 * 7) + 6] = float.NaN;
            var x = Tensor.FromArray(xs, [1, 1, 7, 7]);
            var wt = Tensor.Ones([1, 1, 3, 3]);
            wt.RequiresGrad = true;
            var y = Ops.Conv2d(x, wt, padding: 1);
            y.Backward(Tensor.Ones(y.Shape));
            var dw = wt.Grad!.ToArray();
            for (int i = 0; i < 3; i++)
            {
                // Tap (i, 0): 0.5 at every position it reads inside the image (rows and columns it reaches), 0 in the padding.
                int rows = 7 - Math.Abs(i - 1), cols = 6;
                Assert.Equal(0.5 * rows * cols, dw[i * 3], 5);
                Assert.True(float.IsNaN(dw[(i * 3) + 1]));
                Assert.True(float.IsNaN(dw[(i * 3) + 2]));
            }
        }
        finally
        {
            DirectConv3x3.ForceScalar = false;
        }
    }
}
