using DeepMetric.Data.Glyphs;

namespace DeepMetric.Tests.Data.Glyphs;

public sealed class GlyphRasterizerTests
{
    // A solid bar w × h of full coverage.
    private static GlyphBitmap Bar(int w, int h) => new(w, h, Enumerable.Repeat((byte)255, w * h).ToArray());

    private static byte[] Render(GlyphBitmap g, GlyphInstance p)
    {
        var output = new byte[28 * 28];
        var rng = new SplitMix64(1);
        GlyphRasterizer.Render(g, 28, p, ref rng, output);
        return output;
    }

    private static readonly GlyphInstance Clean = new(0, 0, 0, 1, 0, 0, 0, 0);

    private static (double X, double Y, double Mass) Centroid(byte[] image)
    {
        double sx = 0, sy = 0, m = 0;
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                double v = image[(y * 28) + x];
                sx += v * (x + 0.5);
                sy += v * (y + 0.5);
                m += v;
            }
        }
        return (sx / m, sy / m, m);
    }

    [Fact]
    public void AnUndistortedGlyphIsCentredAtItsSize()
    {
        // 20 × 8 canvas pixels at 2× oversampling: a 10 × 4 output bar, centred at (14, 14).
        var image = Render(Bar(20, 8), Clean);
        var (x, y, mass) = Centroid(image);
        Assert.Equal(14, x, 1e-9);
        Assert.Equal(14, y, 1e-9);
        Assert.Equal(10 * 4 * 255, mass, 1e-6);
    }

    [Fact]
    public void ShiftMovesTheInkByThatManyOutputPixels()
    {
        var (x, y, _) = Centroid(Render(Bar(20, 8), Clean with { ShiftX = 2, ShiftY = -1 }));
        Assert.Equal(16, x, 1e-9);
        Assert.Equal(13, y, 1e-9);
    }

    [Fact]
    public void QuarterTurnMakesAHorizontalBarVertical()
    {
        var image = Render(Bar(20, 4), Clean with { Rotation = Math.PI / 2 });
        int Extent(bool horizontal) => Enumerable.Range(0, 28).Count(i =>
            Enumerable.Range(0, 28).Any(j => (horizontal ? image[(j * 28) + i] : image[(i * 28) + j]) > 128));
        Assert.Equal(2, Extent(horizontal: true));
        Assert.Equal(10, Extent(horizontal: false));
    }

    [Fact]
    public void ScaleMultipliesTheInkArea()
    {
        double m1 = Centroid(Render(Bar(20, 8), Clean)).Mass;
        double m2 = Centroid(Render(Bar(20, 8), Clean with { Scale = 0.5 })).Mass;
        Assert.Equal(0.25, m2 / m1, 0.02);
    }

    [Fact]
    public void DilationThickensAndErosionThins()
    {
        double plain = Centroid(Render(Bar(20, 8), Clean)).Mass;
        // One 3×3 dilation step grows the 20 × 8 canvas bar to 22 × 10: 220/160 of the ink (up to rounding of the
        // half-covered edge pixels to bytes: worked out pixel by pixel, 14040 / 10200).
        Assert.Equal(14040.0 / 10200, Centroid(Render(Bar(20, 8), Clean with { Stroke = 1 })).Mass / plain, 1e-9);
        Assert.Equal(220.0 / 160, Centroid(Render(Bar(20, 8), Clean with { Stroke = 1 })).Mass / plain, 0.005);
        // One erosion step shrinks it to 18 × 6 (6896 / 10200 in bytes).
        Assert.Equal(6896.0 / 10200, Centroid(Render(Bar(20, 8), Clean with { Stroke = -1 })).Mass / plain, 1e-9);
    }

    [Fact]
    public void BlurSpreadsInkAboutTheSameCentreAtFullContrast_AndNoiseChangesPixels()
    {
        var sharp = Render(Bar(20, 8), Clean);
        var blurred = Render(Bar(20, 8), Clean with { BlurSigma = 0.7 });
        Assert.Equal(14, Centroid(blurred).X, 0.01);
        Assert.Equal(14, Centroid(blurred).Y, 0.01);
        Assert.Equal(255, blurred.Max());
        Assert.True(blurred.Count(p => p is > 0 and < 255) > sharp.Count(p => p is > 0 and < 255) + 20);
        var noisy = Render(Bar(20, 8), Clean with { NoiseSigma = 0.05 });
        Assert.True(noisy.Count(p => p is > 0 and < 255) > 100);
    }

    [Fact]
    public void CropTrimsToInkAndRejectsNearlyEmpty()
    {
        var pixels = new byte[5 * 4];
        pixels[(1 * 5) + 1] = 9;
        pixels[(2 * 5) + 3] = 7;
        Assert.Null(GlyphBitmap.Crop(pixels, 5, 4));
        pixels[(1 * 5) + 2] = 1;
        pixels[(2 * 5) + 2] = 1;
        var g = GlyphBitmap.Crop(pixels, 5, 4)!;
        Assert.Equal((3, 2), (g.Width, g.Height));
        Assert.Equal(new byte[] { 9, 1, 0, 0, 1, 7 }, g.Pixels);
    }
}
