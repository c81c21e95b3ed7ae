using DeepMetric.Data;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Data;

public sealed class PngDecoderTests
{
    private static byte[][] RandomRows(int height, int rowBytes, int seed)
    {
        var rng = new DeepMetric.Tensors.Random.Prng((ulong)seed);
        var rows = new byte[height][];
        for (int y = 0; y < height; y++)
        {
            rows[y] = new byte[rowBytes];
            for (int i = 0; i < rowBytes; i++)
            {
                rows[y][i] = (byte)rng.NextInt(256);
            }
        }
        return rows;
    }

    private static float[] Flatten(byte[][] rows, float divisor) => rows.SelectMany(r => r.Select(b => b / divisor)).ToArray();

    [Theory]
    [InlineData(0, 1)]   // grey
    [InlineData(4, 2)]   // grey + alpha
    [InlineData(2, 3)]   // RGB
    [InlineData(6, 4)]   // RGBA
    public void EightBitAllFilterTypes(int colorType, int channels)
    {
        const int w = 7, h = 10;
        var rows = RandomRows(h, w * channels, seed: colorType + 1);
        // Rows 0–4 and 5–9 use filters 0, 1, 2, 3, 4 (row 0 with "up" filters exercises the missing previous row).
        var png = TestPng.Encode(w, h, 8, colorType, rows, channels, y => y % 5);
        var image = PngDecoder.Decode(png, "t.png");
        Assert.Equal((w, h, channels), (image.Width, image.Height, image.Channels));
        Assert.Equal(Flatten(rows, 255f), image.Pixels);
    }

    [Fact]
    public void FirstRowWithPaethAndAverageFilters()
    {
        foreach (int f in new[] { 2, 3, 4 })
        {
            var rows = RandomRows(3, 12, seed: f);
            var png = TestPng.Encode(4, 3, 8, 2, rows, 3, _ => f);
            Assert.Equal(Flatten(rows, 255f), PngDecoder.Decode(png, "f.png").Pixels);
        }
    }

    [Fact]
    public void SixteenBitGreyAndRgb()
    {
        var rows = RandomRows(5, 2 * 3, seed: 9);   // width 3 grey16
        var image = PngDecoder.Decode(TestPng.Encode(3, 5, 16, 0, rows, 2, y => y % 5), "g16.png");
        var expected = rows.SelectMany(r => Enumerable.Range(0, 3).Select(x => ((r[2 * x] << 8) | r[(2 * x) + 1]) / 65535f)).ToArray();
        Assert.Equal(expected, image.Pixels);

        var rgbRows = RandomRows(5, 2 * 3 * 2, seed: 10);   // width 2 RGB16
        var rgb = PngDecoder.Decode(TestPng.Encode(2, 5, 16, 2, rgbRows, 6, y => 4 - (y % 5)), "rgb16.png");
        var expectedRgb = rgbRows.SelectMany(r => Enumerable.Range(0, 6).Select(s => ((r[2 * s] << 8) | r[(2 * s) + 1]) / 65535f)).ToArray();
        Assert.Equal(3, rgb.Channels);
        Assert.Equal(expectedRgb, rgb.Pixels);
    }

    [Fact]
    public void PaletteEightBitAndTwoBit()
    {
        byte[] palette = [10, 20, 30, 200, 100, 0, 255, 255, 255];
        byte[][] rows = [[0, 1, 2], [2, 2, 0], [1, 0, 1], [0, 0, 0], [2, 1, 0]];
        var image = PngDecoder.Decode(TestPng.Encode(3, 5, 8, 3, rows, 1, y => y, palette), "p.png");
        Assert.Equal(3, image.Channels);
        var expected = rows.SelectMany(r => r.SelectMany(i => new[] { palette[3 * i] / 255f, palette[(3 * i) + 1] / 255f, palette[(3 * i) + 2] / 255f })).ToArray();
        Assert.Equal(expected, image.Pixels);

        // 2-bit indices packed MSB first: width 5 → 10 bits → 2 bytes per row. Row: 2,1,0,2,1 → 10 01 00 10 | 01 000000.
        byte[][] packed = [[0b10010010, 0b01000000]];
        var two = PngDecoder.Decode(TestPng.Encode(5, 1, 2, 3, packed, 1, _ => 0, palette), "p2.png");
        int[] indices = [2, 1, 0, 2, 1];
        Assert.Equal(indices.SelectMany(i => new[] { palette[3 * i] / 255f, palette[(3 * i) + 1] / 255f, palette[(3 * i) + 2] / 255f }), two.Pixels);
    }

    [Fact]
    public void OneBitGreySplitIdatAndAncillaryChunk()
    {
        // Width 9: bits 1 0 1 1 0 0 0 1 | 1 → bytes 0b10110001, 0b10000000.
        byte[][] rows = [[0b10110001, 0b10000000], [0xFF, 0x00]];
        var png = TestPng.Encode(9, 2, 1, 0, rows, 1, y => y + 1, idatPieces: 3, textChunk: true);
        var image = PngDecoder.Decode(png, "b.png");
        Assert.Equal([1f, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], image.Pixels);
    }

    [Fact]
    public void CrcOfIendMatchesTheKnownConstant() =>
        Assert.Equal(0xAE426082u, TestPng.BitwiseCrc("IEND"u8.ToArray()));

    private static byte[] ValidPng() => TestPng.Encode(4, 4, 8, 0, RandomRows(4, 4, 1), 1, y => y);

    [Fact]
    public void CorruptFilesGiveInvalidDataNamingTheFile()
    {
        var good = ValidPng();
        void Fails(byte[] bytes, string fragment)
        {
            var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(bytes, "img/bad.png"));
            Assert.Contains("img/bad.png", ex.Message, StringComparison.Ordinal);
            Assert.Contains(fragment, ex.Message, StringComparison.OrdinalIgnoreCase);
        }

        var crc = (byte[])good.Clone();
        crc[20] ^= 0x01;   // inside IHDR
        Fails(crc, "CRC");
        var sig = (byte[])good.Clone();
        sig[1] = (byte)'X';
        Fails(sig, "signature");
        for (int cut = 8; cut < good.Length; cut += 5)
        {
            Fails(good[..cut], "truncated");
        }
        Fails(TestPng.Encode(4, 4, 8, 0, RandomRows(4, 4, 1), 1, y => y, interlace: 1), "interlaced");
        Fails(TestPng.Encode(4, 1, 8, 0, RandomRows(1, 4, 1), 1, _ => 5), "filter type 5");
        Fails(TestPng.Encode(4, 1, 8, 3, RandomRows(1, 4, 1), 1, _ => 0), "PLTE");
        Fails(TestPng.Encode(4, 1, 3, 0, [[0, 0]], 1, _ => 0), "bit depth");
        // A palette index beyond the palette.
        Fails(TestPng.Encode(2, 1, 8, 3, [[0, 5]], 1, _ => 0, palette: [1, 2, 3, 4, 5, 6]), "palette index");
        // Too few rows of image data for the declared height.
        Fails(TestPng.Encode(4, 6, 8, 0, RandomRows(4, 4, 1), 1, _ => 0), "truncated image data");
    }

    [Fact]
    public void CorruptZlibStream()
    {
        // Replace the IDAT payload by garbage with a valid CRC: the inflater fails and the error names the file.
        var png = TestPng.Encode(4, 4, 8, 0, RandomRows(4, 4, 1), 1, _ => 0);
        int idatType = IndexOf(png, "IDAT"u8.ToArray());
        int len = (png[idatType - 4] << 24) | (png[idatType - 3] << 16) | (png[idatType - 2] << 8) | png[idatType - 1];
        for (int i = 2; i < len; i++)
        {
            png[idatType + 4 + i] = 0xFF;
        }
        uint crc = TestPng.BitwiseCrc(png[idatType..(idatType + 4 + len)]);
        png[idatType + 4 + len] = (byte)(crc >> 24);
        png[idatType + 5 + len] = (byte)(crc >> 16);
        png[idatType + 6 + len] = (byte)(crc >> 8);
        png[idatType + 7 + len] = (byte)crc;
        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(png, "z.png"));
        Assert.Contains("z.png", ex.Message, StringComparison.Ordinal);
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
