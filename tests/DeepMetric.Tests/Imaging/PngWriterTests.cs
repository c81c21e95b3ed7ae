using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using DeepMetric.Imaging;
using DeepMetric.Reporting;
using DeepMetric.Tensors.Random;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Imaging;

public sealed class PngWriterTests
{
    private static byte[] RandomishPixels(int count, ulong seed)
    {
        // Smooth gradients plus noise so every filter type gets chosen somewhere.
        var rng = new Prng(seed);
        var p = new byte[count];
        for (int i = 0; i < count; i++)
        {
            p[i] = (byte)((i % 7 == 0 ? rng.NextInt(256) : (i * 3) + (i / 11)) & 0xFF);
        }
        return p;
    }

    [Theory]
    [InlineData(PngColorType.Grayscale, 1, 1, 1)]
    [InlineData(PngColorType.Grayscale, 28, 28, 1)]
    [InlineData(PngColorType.Rgb, 17, 5, 3)]
    [InlineData(PngColorType.Rgba, 9, 13, 4)]
    public void Encode_DecodesToSamePixels(PngColorType type, int width, int height, int channels)
    {
        byte[] pixels = RandomishPixels(width * height * channels, (ulong)(width * 31) + (ulong)height);
        byte[] png = PngWriter.Encode(pixels, width, height, type);
        TestPng.Image d = TestPng.Decode(png);
        Assert.Equal(width, d.Width);
        Assert.Equal(height, d.Height);
        Assert.Equal((int)type, d.ColorType);
        Assert.Equal(pixels, d.Pixels);
        Assert.Equal(png, PngWriter.Encode(pixels, width, height, type));
    }

    [Fact]
    public void Crc_MatchesKnownCheckValue()
    {
        // The CRC-32/ISO-HDLC check value for "123456789".
        Assert.Equal(0xCBF43926u, TestPng.BitwiseCrc("123456789"u8));
        byte[] png = PngWriter.Encode(new byte[1], 1, 1, PngColorType.Grayscale);
        // IEND has no data, so its CRC is the CRC of "IEND" alone: 0xAE426082.
        Assert.Equal(new byte[] { 0xAE, 0x42, 0x60, 0x82 }, png[^4..]);
    }

    [Fact]
    public void Encode_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => PngWriter.Encode(new byte[5], 2, 2, PngColorType.Grayscale));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngWriter.Encode([], 0, 2, PngColorType.Grayscale));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngWriter.Encode(new byte[4], 2, 2, (PngColorType)3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RasterImage(2, 2, 2));
    }

    [Fact]
    public void DataUri_IsBase64Png()
    {
        byte[] png = PngWriter.Encode(new byte[] { 0, 255, 128, 7 }, 2, 2, PngColorType.Grayscale);
        string uri = PngWriter.ToDataUri(png);
        Assert.StartsWith("data:image/png;base64,", uri, StringComparison.Ordinal);
        Assert.Equal(png, Convert.FromBase64String(uri["data:image/png;base64,".Length..]));
    }

    [Fact]
    public void FromPlanar_MapsAndClamps()
    {
        RasterImage g = RasterImage.FromPlanar([0f, 0.5f, 1f, 2f, -1f, float.NaN], 1, 2, 3);
        Assert.Equal(new byte[] { 0, 128, 255, 255, 0, 0 }, g.Pixels.ToArray());
        // Planar RGB [C,H,W] becomes interleaved.
        RasterImage c = RasterImage.FromPlanar([1f, 0f, 0f, 1f, 0.2f, 0.4f], 3, 1, 2);
        Assert.Equal(new byte[] { 255, 0, 51, 0, 255, 102 }, c.Pixels.ToArray());
        // Auto range: own min..max.
        RasterImage a = RasterImage.FromPlanar([-2f, 0f, 2f], 1, 1, 3, null, null);
        Assert.Equal(new byte[] { 0, 128, 255 }, a.Pixels.ToArray());
        RasterImage flat = RasterImage.FromPlanar([3f, 3f], 1, 1, 2, null, null);
        Assert.Equal(new byte[] { 0, 0 }, flat.Pixels.ToArray());
        Assert.Throws<ArgumentException>(() => RasterImage.FromPlanar([0f], 1, 1, 2));
        Assert.Throws<ArgumentException>(() => RasterImage.FromPlanar([0f], 1, 1, 1, 1f, 1f));
    }

    [Fact]
    public void ThumbnailGrid_FramesAndPixels()
    {
        static RasterImage Solid(byte v, int w = 2, int h = 2)
        {
            var im = new RasterImage(w, h, 1);
            im.Pixels.Fill(v);
            return im;
        }
        var rows = new List<ThumbnailRow>
        {
            new(Solid(10), [Solid(20), Solid(30)], [true, false]),
            new(Solid(40), [Solid(50, 1, 1)], [true]),
        };
        // scale 2, border 1, gap 2 → cells 2·2 + 2 = 6 pixels.
        RasterImage grid = ThumbnailGrid.Build(rows, scale: 2, border: 1, gap: 2);
        Assert.Equal(3, grid.Channels);
        Assert.Equal(2 + 6 + 4 + (2 * (6 + 2)), grid.Width);
        Assert.Equal(2 + (2 * (6 + 2)), grid.Height);
        Assert.Equal((byte)255, grid.GetRgb(0, 0).R);
        Assert.Equal(ThumbnailGrid.QueryColor, grid.GetRgb(2, 2));
        Assert.Equal((10, 10, 10), grid.GetRgb(3, 3));
        Assert.Equal((10, 10, 10), grid.GetRgb(6, 6));
        int n0 = 2 + 6 + 4;
        Assert.Equal(ThumbnailGrid.CorrectColor, grid.GetRgb(n0, 2));
        Assert.Equal((20, 20, 20), grid.GetRgb(n0 + 1, 3));
        Assert.Equal(ThumbnailGrid.WrongColor, grid.GetRgb(n0 + 8 + 5, 7));
        Assert.Equal((30, 30, 30), grid.GetRgb(n0 + 8 + 4, 6));
        // Second row: the 1×1 neighbour (2×2 after scaling) is centred in a 4×4 interior left white around it.
        int top1 = 2 + 8;
        Assert.Equal((50, 50, 50), grid.GetRgb(n0 + 2, top1 + 2));
        Assert.Equal((255, 255, 255), grid.GetRgb(n0 + 1, top1 + 1));
        TestPng.Image d = TestPng.Decode(grid.ToPng());
        Assert.Equal(grid.Pixels.ToArray(), d.Pixels);

        Assert.Throws<ArgumentException>(() => ThumbnailGrid.Build([]));
        Assert.Throws<ArgumentException>(() => ThumbnailGrid.Build([new ThumbnailRow(Solid(1), [Solid(2)], [])]));
    }

    [ExecutableFact("/usr/bin/python3")]
    public void Python_ZlibAgreesWithChunkCrcs()
    {
        const string python = "/usr/bin/python3";
        byte[] pixels = RandomishPixels(12 * 7 * 3, 5);
        string path = Path.Combine(Path.GetTempPath(), $"dm-png-{Environment.ProcessId}.png");
        File.WriteAllBytes(path, PngWriter.Encode(pixels, 12, 7, PngColorType.Rgb));
        try
        {
            const string script = """
                import sys, zlib, struct
                b = open(sys.argv[1], 'rb').read()
                assert b[:8] == b'\x89PNG\r\n\x1a\n'
                p = 8; idat = b''
                while p < len(b):
                    n, = struct.unpack('>I', b[p:p+4]); t = b[p+4:p+8]; d = b[p+8:p+8+n]
                    assert struct.unpack('>I', b[p+8+n:p+12+n])[0] == zlib.crc32(t + d) & 0xffffffff
                    if t == b'IDAT': idat += d
                    p += 12 + n
                raw = zlib.decompress(idat)
                assert len(raw) == 7 * (12 * 3 + 1)
                print('ok')
                """;
            var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(path);
            using Process p = Process.Start(start)!;
            string output = p.StandardOutput.ReadToEnd();
            string error = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(30_000));
            Assert.True(p.ExitCode == 0, error);
            Assert.Equal("ok", output.Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
