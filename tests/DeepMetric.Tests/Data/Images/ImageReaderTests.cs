using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Data.Images;

public sealed class ImageReaderTests
{
    // The pattern every fixture shows (see Fixtures/make_fixtures.py): 3×2 blocks of 16×16 pixels.
    private static readonly byte[][][] s_colours =
    [
        [[255, 0, 0], [0, 255, 0], [0, 0, 255]],
        [[255, 255, 255], [0, 0, 0], [255, 255, 0]],
    ];

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "images", name);

    // Checks the pixels away from block borders (JPEG blurs the edges) against the pattern, seen through `stored`,
    // which maps a displayed pixel to the stored pattern pixel.
    private static void AssertPattern(PixelImage image, int tolerance, Func<int, int, (int X, int Y)> stored)
    {
        int checkedPixels = 0;
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                var (sx, sy) = stored(x, y);
                if (sx % 16 is < 3 or > 12 || sy % 16 is < 3 or > 12)
                {
                    continue;
                }
                var expected = s_colours[sy / 16][sx / 16];
                for (int c = 0; c < 3; c++)
                {
                    Assert.True(Math.Abs(image[x, y, c] - expected[c]) <= tolerance,
                        $"pixel ({x},{y}) channel {c}: {image[x, y, c]} vs {expected[c]} (stored ({sx},{sy}))");
                }
                checkedPixels++;
            }
        }
        Assert.True(checkedPixels > 500, $"only {checkedPixels} pixels checked");
    }

    [Theory]
    [InlineData("baseline.jpg", 12)]
    [InlineData("progressive.jpg", 12)]
    [InlineData("pattern.bmp", 0)]
    [InlineData("pattern.gif", 0)]
    [InlineData("pattern.webp", 0)]
    [InlineData("lossy.webp", 40)]
    public void ReadsEachFormatAsRgb(string file, int tolerance)
    {
        var image = ImageReader.Read(Fixture(file), ImageColorMode.Rgb);
        Assert.Equal((48, 32, 3), (image.Width, image.Height, image.Channels));
        AssertPattern(image, tolerance, (x, y) => (x, y));
    }

    [Theory]
    [InlineData("baseline.jpg", 12)]
    [InlineData("grey.jpg", 6)]
    [InlineData("pattern.bmp", 0)]
    public void GreyIsBt601Luma(string file, int tolerance)
    {
        var image = ImageReader.Read(Fixture(file), ImageColorMode.Gray);
        Assert.Equal(1, image.Channels);
        foreach (var (x, y) in new[] { (8, 8), (24, 8), (40, 8), (8, 24), (24, 24), (40, 24) })
        {
            var c = s_colours[y / 16][x / 16];
            double luma = (0.299 * c[0]) + (0.587 * c[1]) + (0.114 * c[2]);
            Assert.True(Math.Abs(image[x, y, 0] - luma) <= tolerance + 0.5, $"({x},{y}): {image[x, y, 0]} vs {luma}");
        }
    }

    [Fact]
    public void GreyJpegInRgbModeRepeatsTheValue()
    {
        var image = ImageReader.Read(Fixture("grey.jpg"), ImageColorMode.Rgb);
        for (int i = 0; i < image.Pixels.Length; i += 3)
        {
            Assert.Equal(image.Pixels[i], image.Pixels[i + 1]);
            Assert.Equal(image.Pixels[i], image.Pixels[i + 2]);
        }
    }

    [Fact]
    public void ExifOrientationIsApplied()
    {
        // EXIF 2.3 orientation tag: how the stored rows/columns map to the displayed image (W = 48, H = 32 stored).
        var mirrored = ImageReader.Read(Fixture("orient2.jpg"), ImageColorMode.Rgb);
        Assert.Equal((48, 32), (mirrored.Width, mirrored.Height));
        AssertPattern(mirrored, 12, (x, y) => (47 - x, y));
        var upsideDown = ImageReader.Read(Fixture("orient3.jpg"), ImageColorMode.Rgb);
        AssertPattern(upsideDown, 12, (x, y) => (47 - x, 31 - y));
        // 6: rotate 90° clockwise to display; the displayed image is 32 wide and 48 tall.
        var clockwise = ImageReader.Read(Fixture("orient6.jpg"), ImageColorMode.Rgb);
        Assert.Equal((32, 48), (clockwise.Width, clockwise.Height));
        AssertPattern(clockwise, 12, (x, y) => (y, 31 - x));
        // 8: rotate 90° counter-clockwise.
        var anticlockwise = ImageReader.Read(Fixture("orient8.jpg"), ImageColorMode.Rgb);
        Assert.Equal((32, 48), (anticlockwise.Width, anticlockwise.Height));
        AssertPattern(anticlockwise, 12, (x, y) => (47 - y, x));
    }

    [Fact]
    public void PngBitDepthsPaletteAndAlpha()
    {
        // 8-bit RGB, exact.
        byte[][] rgbRows = [[255, 0, 0, 0, 128, 7], [1, 2, 3, 250, 251, 252]];
        var rgb = ImageReader.Decode(TestPng.Encode(2, 2, 8, 2, rgbRows, 3, y => y), "rgb.png", ImageColorMode.Rgb);
        Assert.Equal(new byte[] { 255, 0, 0, 0, 128, 7, 1, 2, 3, 250, 251, 252 }, rgb.Pixels.ToArray());

        // 16-bit grey: rounded to 8 bits, v / 257.
        ushort[] values = [0, 257, 1000, 65535, 32768, 12345];
        var rows16 = new byte[2][];
        for (int y = 0; y < 2; y++)
        {
            rows16[y] = new byte[6];
            for (int x = 0; x < 3; x++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(rows16[y].AsSpan(2 * x), values[(y * 3) + x]);
            }
        }
        var grey16 = ImageReader.Decode(TestPng.Encode(3, 2, 16, 0, rows16, 2, y => y), "g16.png", ImageColorMode.Gray);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(Math.Abs(grey16.Pixels[i] - (values[i] / 257.0)) <= 0.5 + 1e-9, $"{values[i]} → {grey16.Pixels[i]}");
        }

        // Palette: indices into PLTE.
        byte[] palette = [10, 20, 30, 200, 100, 50, 0, 255, 0];
        var indexed = ImageReader.Decode(TestPng.Encode(3, 1, 8, 3, [[2, 0, 1]], 1, _ => 0, palette), "p.png", ImageColorMode.Rgb);
        Assert.Equal(new byte[] { 0, 255, 0, 10, 20, 30, 200, 100, 50 }, indexed.Pixels.ToArray());

        // RGBA and grey+alpha: alpha dropped, colour kept as stored.
        var rgba = ImageReader.Decode(TestPng.Encode(2, 1, 8, 6, [[9, 8, 7, 0, 60, 70, 80, 255]], 4, _ => 1), "a.png", ImageColorMode.Rgb);
        Assert.Equal(new byte[] { 9, 8, 7, 60, 70, 80 }, rgba.Pixels.ToArray());
        var greyAlpha = ImageReader.Decode(TestPng.Encode(2, 1, 8, 4, [[33, 0, 99, 128]], 2, _ => 0), "ga.png", ImageColorMode.Gray);
        Assert.Equal(new byte[] { 33, 99 }, greyAlpha.Pixels.ToArray());
    }

    [Fact]
    public void NetpbmBinaryAndAscii()
    {
        var p5 = ImageReader.Decode([.. Encoding.ASCII.GetBytes("P5\n2 2\n255\n"), 0, 128, 255, 7], "b.pgm", ImageColorMode.Gray);
        Assert.Equal(new byte[] { 0, 128, 255, 7 }, p5.Pixels.ToArray());
        var p3 = ImageReader.Decode(Encoding.ASCII.GetBytes("P3\n2 1\n255\n255 0 0  0 0 51\n"), "c.ppm", ImageColorMode.Rgb);
        Assert.Equal(new byte[] { 255, 0, 0, 0, 0, 51 }, p3.Pixels.ToArray());
    }

    [Fact]
    public void TruncatedJpegNamesTheFile()
    {
        byte[] full = File.ReadAllBytes(Fixture("baseline.jpg"));
        Assert.True(JpegStructure.IsComplete(full));
        foreach (int keep in new[] { full.Length - 2, full.Length * 3 / 5, 300, 4 })
        {
            var ex = Assert.Throws<InvalidDataException>(() => ImageReader.Decode(full[..keep], "photos/cut.jpg", ImageColorMode.Rgb));
            Assert.Contains("photos/cut.jpg", ex.Message, StringComparison.Ordinal);
        }
        Assert.True(JpegStructure.IsComplete(File.ReadAllBytes(Fixture("progressive.jpg"))));
        Assert.False(JpegStructure.IsComplete(File.ReadAllBytes(Fixture("progressive.jpg"))[..^2]));
    }

    [Fact]
    public void TruncatedOrCorruptPngNamesTheFile()
    {
        byte[][] rows = [.. Enumerable.Range(0, 16).Select(y => Enumerable.Range(0, 48).Select(x => (byte)(x * y)).ToArray())];
        byte[] png = TestPng.Encode(16, 16, 8, 2, rows, 3, _ => 4);
        Assert.True(PngStructure.IsComplete(png));
        Assert.False(PngStructure.IsComplete(png[..^1]));
        Assert.False(PngStructure.IsComplete(png[..(png.Length / 2)]));
        foreach (byte[] bad in new[] { png[..(png.Length / 2)], png[..40], [.. png[..8], .. new byte[64]] })
        {
            var ex = Assert.Throws<InvalidDataException>(() => ImageReader.Decode(bad, "x/bad.png", ImageColorMode.Rgb));
            Assert.Contains("x/bad.png", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void NonImageEmptyAndMissingFiles()
    {
        using var dir = new TempDir();
        string text = dir.File("notes.jpg");
        File.WriteAllText(text, "this is not a photo\n");
        var ex = Assert.Throws<InvalidDataException>(() => ImageReader.Read(text, ImageColorMode.Rgb));
        Assert.Contains(text, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        string empty = dir.File("empty.png");
        File.WriteAllBytes(empty, []);
        ex = Assert.Throws<InvalidDataException>(() => ImageReader.Read(empty, ImageColorMode.Rgb));
        Assert.Contains(empty, ex.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => ImageReader.Read(dir.File("gone.jpg"), ImageColorMode.Rgb));
    }

    [Fact]
    public void DecompressionBombsAreRejectedFromTheHeader()
    {
        // A valid 1×1 PNG whose IHDR is rewritten to claim 100,000×100,000 pixels (CRC recomputed).
        byte[] png = TestPng.Encode(1, 1, 8, 2, [[1, 2, 3]], 3, _ => 0);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), TestPng.BitwiseCrc(png.AsSpan(12, 17)));
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<InvalidDataException>(() => ImageReader.Decode(png, "bomb.png", ImageColorMode.Rgb));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the bomb was decoded, not refused");
        Assert.Contains("bomb.png", ex.Message, StringComparison.Ordinal);
        Assert.Contains("100000×100000", ex.Message, StringComparison.Ordinal);

        // A JPEG whose SOF0 claims 60,000×60,000.
        byte[] jpeg = File.ReadAllBytes(Fixture("baseline.jpg"));
        int sof = FindMarker(jpeg, 0xC0);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 60_000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 60_000);
        ex = Assert.Throws<InvalidDataException>(() => ImageReader.Decode(jpeg, "big.jpg", ImageColorMode.Rgb));
        Assert.Contains("big.jpg", ex.Message, StringComparison.Ordinal);

        // The limit is the caller's: the 48×32 fixture passes at 1536 pixels and fails at 1535.
        byte[] ok = File.ReadAllBytes(Fixture("baseline.jpg"));
        Assert.Equal(48, ImageReader.Decode(ok, "ok.jpg", ImageColorMode.Rgb, maxPixels: 48 * 32).Width);
        Assert.Throws<InvalidDataException>(() => ImageReader.Decode(ok, "ok.jpg", ImageColorMode.Rgb, maxPixels: (48 * 32) - 1));
    }

    private static int FindMarker(byte[] jpeg, byte marker)
    {
        for (int i = 2; i + 1 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] == marker)
            {
                return i;
            }
        }
        throw new InvalidOperationException($"no FF{marker:X2} marker");
    }
}
