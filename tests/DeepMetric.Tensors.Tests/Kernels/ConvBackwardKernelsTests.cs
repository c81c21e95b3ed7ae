using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>col2im and the strided scatters against plain loops, with the 256-bit path on and off.</summary>
public sealed class ConvBackwardKernelsTests
{
    private static float[] Values(int count, ulong seed) => GradCheck.Random(seed, [count]).ToArray();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AddEvery2AddsToEverySecondFloatOnly(bool vector)
    {
        foreach (int count in new[] { 1, 7, 8, 9, 15, 16, 17, 28, 112 })
        {
            var src = Values(count, 1);
            var dst = Values((2 * count) + 3, 2);
            var expected = new double[dst.Length];
            for (int i = 0; i < dst.Length; i++)
            {
                expected[i] = dst[i] + (i % 2 == 0 && i / 2 < count ? (double)src[i / 2] : 0);
            }
            ConvBackwardKernels.AddEvery2(ref dst[0], ref src[0], count, vector);
            for (int i = 0; i < dst.Length; i++)
            {
                Assert.Equal((float)expected[i], dst[i]);
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AddRowAdds(bool vector)
    {
        foreach (int count in new[] { 1, 7, 8, 9, 31 })
        {
            var src = Values(count, 3);
            var dst = Values(count + 2, 4);
            var before = (float[])dst.Clone();
            ConvBackwardKernels.AddRow(ref dst[0], ref src[0], count, vector);
            for (int i = 0; i < dst.Length; i++)
            {
                Assert.Equal(i < count ? (float)((double)before[i] + src[i]) : before[i], dst[i]);
            }
        }
    }

    [Theory]
    [InlineData(2, 3, 9, 10, 3, 3, 2, 1, 1)]
    [InlineData(1, 1, 40, 37, 3, 3, 2, 1, 0)]
    [InlineData(2, 2, 7, 7, 3, 3, 1, 1, 1)]
    [InlineData(1, 2, 20, 21, 7, 7, 2, 1, 3)]
    [InlineData(2, 2, 12, 11, 3, 2, 3, 2, 2)]
    public void Col2ImMatchesLoopBothPaths(int count, int c, int h, int w, int kh, int kw, int s, int d, int pad)
    {
        var g = new ConvGeometry(c, h, w, kh, kw, s, pad, d);
        int ld = (count * g.P) + 5; // a wider column matrix than the images: ld is honoured
        var col = Values(g.K * ld, 5);
        var expected = new double[count * c * g.PlanePadded];
        for (int ci = 0, r = 0; ci < c; ci++)
        {
            for (int i = 0; i < kh; i++)
            {
                for (int j = 0; j < kw; j++, r++)
                {
                    for (int b = 0; b < count; b++)
                    {
                        for (int oh = 0; oh < g.Ho; oh++)
                        {
                            for (int ow = 0; ow < g.Wo; ow++)
                            {
                                int at = (((b * c) + ci) * g.PlanePadded) + (((oh * s) + (i * d)) * g.Wp) + (ow * s) + (j * d);
                                expected[at] += col[(r * ld) + (b * g.P) + (oh * g.Wo) + ow];
                            }
                        }
                    }
                }
            }
        }
        var vec = new float[expected.Length];
        var scalar = new float[expected.Length];
        ConvBackwardKernels.Col2Im(col, ld, count, g, vec, vector: true);
        ConvBackwardKernels.Col2Im(col, ld, count, g, scalar, vector: false);
        Assert.Equal(scalar, vec);
        Assertions.AllClose(expected, vec, 1e-5, 1e-5);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Scatter1x1WritesEveryFloat(bool vector)
    {
        foreach (var (count, c, h, w, s) in new[] { (2, 3, 9, 8, 2), (1, 1, 56, 56, 2), (2, 2, 40, 37, 2), (1, 2, 10, 11, 3), (1, 1, 5, 6, 1) })
        {
            var g = new ConvGeometry(c, h, w, 1, 1, s, 0, 1);
            int ld = (count * g.P) + 3;
            var dcol = Values(c * ld, 6);
            var dx = Values(count * c * h * w, 7); // stale values that must all be overwritten
            ConvBackwardKernels.Scatter1x1(dcol, ld, count, g, dx, vector);
            for (int b = 0; b < count; b++)
            {
                for (int ci = 0; ci < c; ci++)
                {
                    for (int y = 0; y < h; y++)
                    {
                        for (int x = 0; x < w; x++)
                        {
                            bool hit = y % s == 0 && x % s == 0 && y / s < g.Ho && x / s < g.Wo;
                            float want = hit ? dcol[(ci * ld) + (b * g.P) + ((y / s) * g.Wo) + (x / s)] : 0f;
                            Assert.Equal(want, dx[(((b * c) + ci) * h + y) * w + x]);
                        }
                    }
                }
            }
        }
    }

    [Avx2Fact]
    public void VectorPathsAreAvailableHere() => Assert.True(ConvBackwardKernels.VectorsAvailable);
}
