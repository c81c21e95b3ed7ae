using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>
/// The stride-2 im2col and phase col2im (<see cref="Stride2Phases"/>) against plain index loops: the column matrix
/// against its definition (bit for bit, NaN and infinity included), the input gradient against a double-precision sum
/// over every column entry and bit for bit against the padded-image col2im, for the AVX-512, AVX2 and portable paths;
/// and stride-2 convolutions through Ops against <see cref="ConvReference"/>, with one and two worker ranges.
/// </summary>
public sealed class Stride2PhasesTests
{
    // count, c, h, w, kh, kw, pad: odd and even sizes and pads, one channel, kernels wider than the phase shift,
    // rows long enough for 512-bit deinterleaving (w ≥ 32) and as short as the 512-channel layer's (wo 7 or less).
    private static readonly int[][] Shapes =
    [
        [1, 1, 7, 9, 3, 3, 1],
        [2, 3, 14, 14, 3, 3, 1],
        [1, 2, 15, 13, 3, 3, 0],
        [2, 2, 11, 12, 3, 2, 2],
        [1, 3, 37, 70, 3, 3, 1],
        [2, 1, 23, 21, 7, 7, 3],
        [1, 2, 5, 4, 2, 2, 3],
        [3, 2, 3, 3, 3, 3, 1],
        [1, 1, 40, 33, 5, 4, 2],
        [1, 2, 9, 28, 3, 3, 1],
        [2, 1, 6, 50, 3, 3, 1],
    ];

    [Fact]
    public void PortableColumnsMatchTheDefinition() => ColumnsMatchTheDefinition(0);

    [Avx2Fact]
    public void Avx2ColumnsMatchTheDefinition() => ColumnsMatchTheDefinition(256);

    [Avx512Fact]
    public void Avx512ColumnsMatchTheDefinition() => ColumnsMatchTheDefinition(512);

    [Fact]
    public void PortableInputGradientMatchesDoubleSums() => InputGradientMatchesDoubleSums(0, false);

    [Avx2Fact]
    public void Avx2InputGradientMatchesDoubleSums() => InputGradientMatchesDoubleSums(256, true);

    [Avx512Fact]
    public void Avx512InputGradientMatchesDoubleSums() => InputGradientMatchesDoubleSums(512, true);

    private static void ColumnsMatchTheDefinition(int bits)
    {
        foreach (var s in Shapes)
        {
            var (count, c, h, w, kh, kw, pad) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
            var g = new ConvGeometry(c, h, w, kh, kw, 2, pad, 1);
            var x = GradCheck.Random(7, [count, c, h, w]).ToArray();
            x[x.Length / 3] = float.NaN;
            x[^1] = float.PositiveInfinity;
            foreach (var (oh0, rows) in new[] { (0, g.Ho), (0, 1), (g.Ho / 2, g.Ho - (g.Ho / 2)), (g.Ho - 1, 1) })
            {
                int p = rows * g.Wo, ld = count * p;
                // Exactly the matrix's size, so the last row may not overrun, and a larger one, where it may.
                foreach (int slack in new[] { 0, 64 })
                {
                    // Garbage in the buffer: every float of the matrix must be written.
                    var col = Filled((g.K * ld) + slack, -777f);
                    Stride2Phases.Im2Col(x, count, g, col, oh0, rows, bits);
                    for (int ci = 0; ci < c; ci++)
                    {
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                int r = (((ci * kh) + i) * kw) + j;
                                for (int b = 0; b < count; b++)
                                {
                                    for (int oh = 0; oh < rows; oh++)
                                    {
                                        for (int ow = 0; ow < g.Wo; ow++)
                                        {
                                            int y = (2 * (oh0 + oh)) + i - pad, xx = (2 * ow) + j - pad;
                                            float expected = y >= 0 && y < h && xx >= 0 && xx < w ? x[(((b * c) + ci) * h * w) + (y * w) + xx] : 0f;
                                            float actual = col[(r * ld) + (b * p) + (oh * g.Wo) + ow];
                                            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                                                $"shape [{string.Join(", ", s)}], rows {oh0}+{rows}, row {r}, image {b}, ({oh}, {ow}): expected {expected}, got {actual}.");
                                        }
                                    }
                                }
                            }
                        }
                    }
                    
                }
            }
        }
    }

    private static void InputGradientMatchesDoubleSums(int bits, bool vector)
    {
        foreach (var s in Shapes)
        {
            var (count, c, h, w, kh, kw, pad) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
            var g = new ConvGeometry(c, h, w, kh, kw, 2, pad, 1);
            int p = g.P, ld = count * p;
            var dcol = GradCheck.Random(8, [g.K, ld]).ToArray();
            dcol[dcol.Length / 2] = float.NaN;
            var expected = new double[count * c * h * w];
            for (int ci = 0; ci < c; ci++)
            {
                for (int i = 0; i < kh; i++)
                {
                    for (int j = 0; j < kw; j++)
                    {
                        int r = (((ci * kh) + i) * kw) + j;
                        for (int b = 0; b < count; b++)
                        {
                            for (int oh = 0; oh < g.Ho; oh++)
                            {
                                for (int ow = 0; ow < g.Wo; ow++)
                                {
                                    int y = (2 * oh) + i - pad, xx = (2 * ow) + j - pad;
                                    if (y >= 0 && y < h && xx >= 0 && xx < w)
                                    {
                                        expected[(((b * c) + ci) * h * w) + (y * w) + xx] += dcol[(r * ld) + (b * p) + (oh * g.Wo) + ow];
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // In one band and in two bands of output rows (as the per-image backward runs it): each close to the double
            // sums and bit for bit what the padded-image col2im gives with the same bands.
            var phases = new float[count * c * Stride2Phases.PlaneFloats(g)];
            var whole = Filled(count * c * h * w, 999f);
            Stride2Phases.Col2Im(dcol, ld, count, g, phases, vector, 0, g.Ho);
            Stride2Phases.Merge(phases, count, g, whole, bits);
            Assertions.AllClose(expected, whole, 1e-5, 1e-5);
            if (count == 1 && g.Ho > 1)
            {
                Array.Clear(phases);
                var paddedBands = new float[c * g.PlanePadded];
                int split = g.Ho / 2;
                foreach (var (oh0, rows) in new[] { (0, split), (split, g.Ho - split) })
                {
                    var band = new float[g.K * rows * g.Wo];
                    for (int r = 0; r < g.K; r++)
                    {
                        Array.Copy(dcol, (r * ld) + (oh0 * g.Wo), band, r * rows * g.Wo, rows * g.Wo);
                    }
                    Stride2Phases.Col2Im(band, rows * g.Wo, 1, g, phases, vector, oh0, rows);
                    ConvBackwardKernels.Col2Im(band, rows * g.Wo, 1, g, paddedBands, false, oh0, rows);
                }
                var banded = Filled(count * c * h * w, -5f);
                Stride2Phases.Merge(phases, count, g, banded, bits);
                Assertions.AllClose(expected, banded, 1e-5, 1e-5);
                var oldBanded = new float[c * h * w];
                ConvBackwardKernels.CropCopy(paddedBands, 1, g, oldBanded);
                Assert.Equal(oldBanded, banded);
            }
            // The padded-image col2im it replaces gives the same bits (the same additions in the same order).
            var padded = new float[count * c * g.PlanePadded];
            ConvBackwardKernels.Col2Im(dcol, ld, count, g, padded, false);
            var old = new float[count * c * h * w];
            ConvBackwardKernels.CropCopy(padded, count, g, old);
            Assert.Equal(old, whole);
        }
    }

    public static TheoryData<int[]> ConvCases => new()
    {
        // n, c, h, w, o, k, pad top, left, bottom, right
        { new[] { 1, 1, 9, 7, 3, 3, 1, 1, 1, 1 } }, // batch 1, one channel, odd sizes
        { new[] { 9, 3, 14, 14, 5, 3, 1, 1, 0, 0 } }, // the 512@14 layer's plane and CNTK pads, batched chunks, two ranges
        { new[] { 2, 2, 45, 43, 4, 3, 1, 1, 0, 0 } }, // ≥ 400 positions: per-image bands
        { new[] { 1, 2, 45, 43, 9, 3, 1, 1, 1, 1 } }, // batch 1, ≥ 400 positions, split over output channels
        { new[] { 2, 2, 12, 13, 3, 3, 2, 1, 1, 2 } }, // padding at every edge, different on each
        { new[] { 3, 2, 10, 11, 3, 3, 0, 0, 0, 0 } }, // no padding
        { new[] { 1, 2, 20, 20, 8, 7, 3, 3, 2, 2 } }, // the stem's kernel at batch 1
        { new[] { 1, 9, 15, 14, 8, 3, 1, 1, 0, 0 } }, // batch 1: column rows built by input channel over two ranges
        { new[] { 1, 11, 7, 9, 8, 3, 2, 1, 2, 1 } }, // the same with padding at every edge
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvolutionMatchesReferenceWithOneAndTwoRanges(int[] a)
    {
        var (n, c, h, w, o, k) = (a[0], a[1], a[2], a[3], a[4], a[5]);
        var pads = (a[6], a[7], a[8], a[9]);
        (float[] Y, float[] Dx, float[] Dw, float[] X, float[] Wt, float[] G) Run()
        {
            var x = GradCheck.Random(61, [n, c, h, w]);
            var wt = GradCheck.Random(62, [o, c, k, k]);
            x.RequiresGrad = true;
            wt.RequiresGrad = true;
            var y = Ops.Conv2dGeneral(x, wt, null, (2, 2), pads, (1, 1));
            var g = GradCheck.Random(63, y.Shape);
            y.Backward(g);
            return (y.ToArray(), x.Grad!.ToArray(), wt.Grad!.ToArray(), x.ToArray(), wt.ToArray(), g.ToArray());
        }
        var two = Run();
        var one = OneWorkerRange.Run(Run);
        Assert.Equal(one.Y, two.Y);
        Assert.Equal(one.Dx, two.Dx);
        Assert.Equal(one.Dw, two.Dw);
        var expected = ConvReference.Conv2d(two.X, n, c, h, w, two.Wt, o, k, k, new float[o], 2, 1, pads, two.G);
        Assertions.AllClose(expected.Y, two.Y, 1e-4, 1e-4);
        Assertions.AllClose(expected.Dx, two.Dx, 1e-4, 1e-4);
        Assertions.AllClose(expected.Dw, two.Dw, 1e-3, 1e-4);
    }

    [Theory]
    [InlineData(false, 9)] // the 1×1 convolution's gradient arrives second
    [InlineData(true, 9)] // the 3×3 one's arrives second: merged straight into the held gradient (chunked images)
    [InlineData(true, 2)] // the same with ≥ 400 positions: per-image bands
    public void TwoConsumersOfOneInputSumTheirGradientsBitForBit(bool threeByThreeSecond, int n)
    {
        int c = 3, o = 4, h = n > 2 ? 14 : 44, w = n > 2 ? 12 : 46;
        var xs = GradCheck.Random(81, [n, c, h, w]).ToArray();
        var w3 = GradCheck.Random(82, [o, c, 3, 3]);
        var w1 = GradCheck.Random(83, [o, c, 1, 1]);
        var g = GradCheck.Random(84, [n, o, h / 2, w / 2]);
        float[] Alone(bool three)
        {
            var x = Tensor.FromArray((float[])xs.Clone(), [n, c, h, w]);
            x.RequiresGrad = true;
            var y = three ? Ops.Conv2dGeneral(x, w3, null, (2, 2), (1, 1, 0, 0), (1, 1)) : Ops.Conv2dGeneral(x, w1, null, (2, 2), (0, 0, 0, 0), (1, 1));
            y.Backward(g);
            return x.Grad!.ToArray();
        }
        float[] Both()
        {
            var x = Tensor.FromArray((float[])xs.Clone(), [n, c, h, w]);
            x.RequiresGrad = true;
            var y3 = Ops.Conv2dGeneral(x, w3, null, (2, 2), (1, 1, 0, 0), (1, 1));
            var y1 = Ops.Conv2dGeneral(x, w1, null, (2, 2), (0, 0, 0, 0), (1, 1));
            // Backward visits the sum's second input first.
            (threeByThreeSecond ? Ops.Add(y3, y1) : Ops.Add(y1, y3)).Backward(g);
            return x.Grad!.ToArray();
        }
        var d3 = Alone(true);
        var d1 = Alone(false);
        var expected = new float[d3.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = d3[i] + d1[i];
        }
        Assert.Equal(expected, Both());
        Assert.Equal(expected, OneWorkerRange.Run(Both));
    }

    [Fact]
    public void MergeAddsWhenAccumulating()
    {
        foreach (var s in Shapes)
        {
            var (count, c, h, w, kh, kw, pad) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
            var g = new ConvGeometry(c, h, w, kh, kw, 2, pad, 1);
            var phases = GradCheck.Random(91, [count * c * Stride2Phases.PlaneFloats(g)]).ToArray();
            var start = GradCheck.Random(92, [count * c * h * w]).ToArray();
            var merged = new float[start.Length];
            Stride2Phases.Merge(phases, count, g, merged, 0);
            foreach (int bits in new[] { 0, 256, 512 })
            {
                var sum = (float[])start.Clone();
                Stride2Phases.Merge(phases, count, g, sum, bits, accumulate: true);
                for (int i = 0; i < sum.Length; i++)
                {
                    Assert.Equal(start[i] + merged[i], sum[i]);
                }
            }
            // Every image float is one padded pixel of its phase plane: (y + pad, x + pad).
            for (int b = 0; b < count * c; b++)
            {
                for (int y = 0; y < h; y++)
                {
                    for (int x = 0; x < w; x++)
                    {
                        int py = y + pad, px = x + pad;
                        int at = (b * Stride2Phases.PlaneFloats(g)) + ((((2 * (py & 1)) + (px & 1)) * Stride2Phases.Hq(g)) + (py >> 1)) * Stride2Phases.Wq(g) + (px >> 1);
                        Assert.Equal(phases[at], merged[(b * h * w) + (y * w) + x]);
                    }
                }
            }
        }
    }

    [Fact]
    public void BatchOneStrideOneColumnsBuiltOverTwoRangesMatchReference()
    {
        // The 512-channel 7×7 layer's path at batch 1 (im2col, output channels and column rows split over the ranges).
        int c = 12, o = 8, h = 7, w = 7;
        var x = GradCheck.Random(101, [1, c, h, w]);
        var wt = GradCheck.Random(102, [o, c, 3, 3]);
        float[] Run()
        {
            Winograd.ForceIm2Col = true;
            try
            {
                return Ops.Conv2d(x, wt, padding: 1).ToArray();
            }
            finally
            {
                Winograd.ForceIm2Col = false;
            }
        }
        var two = Run();
        Assert.Equal(OneWorkerRange.Run(Run), two);
        var expected = ConvReference.Conv2d(x.ToArray(), 1, c, h, w, wt.ToArray(), o, 3, 3, new float[o], 1, 1, (1, 1, 1, 1), new float[o * h * w]).Y;
        Assertions.AllClose(expected, two, 1e-4, 1e-4);
    }

    [Fact]
    public void NaNInTheInputReachesExactlyTheOutputsThatReadIt()
    {
        int n = 2, c = 3, h = 15, w = 14, o = 4;
        var x = GradCheck.Random(71, [n, c, h, w]);
        var xs = x.ToArray();
        // Image 1, channel 2, row 6, column 0 (left edge): only output row 3 (input rows 5–7) and column 0 read it.
        xs[(((1 * c) + 2) * h * w) + (6 * w)] = float.NaN;
        var xn = Tensor.FromArray(xs, [n, c, h, w]);
        var wt = GradCheck.Random(72, [o, c, 3, 3]);
        var y = Ops.Conv2dGeneral(xn, wt, null, (2, 2), (1, 1, 0, 0), (1, 1));
        int ho = y.Shape[2], wo = y.Shape[3];
        var ys = y.ToArray();
        for (int i = 0; i < ys.Length; i++)
        {
            int img = i / (o * ho * wo), oh = i / wo % ho, ow = i % wo;
            bool reads = img == 1 && oh == 3 && ow == 0;
            Assert.True(float.IsNaN(ys[i]) == reads, $"output {i} (image {img}, row {oh}, column {ow}): {ys[i]}");
        }
    }

    private static float[] Filled(int length, float value)
    {
        var a = new float[length];
        Array.Fill(a, value);
        return a;
    }
}
