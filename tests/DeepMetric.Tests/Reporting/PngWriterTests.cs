using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using DeepMetric.Reporting;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Reporting;

public sealed class PngWriterTests
{
    // Independent reference: bitwise CRC-32 with the reflected polynomial, no table.
    private static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320 : c >> 1;
            }
        }
        return ~c;
    }

    internal sealed record Decoded(int Width, int Height, int ColorType, byte[] Pixels, List<string> Chunks);

    // A minimal PNG reader written for the test: checks the signature and every CRC, inflates IDAT, undoes the filters.
    internal static Decoded Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int pos = 8, width = 0, height = 0, colorType = -1;
        var idat = new MemoryStream();
        var chunks = new List<string>();
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(pos + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(BitwiseCrc(png.AsSpan(pos + 4, 4 + length)), crc);
            chunks.Add(type);
            switch (type)
            {
                case "IHDR":
                    Assert.Equal(13, length);
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    Assert.Equal(8, data[8]);
                    colorType = data[9];
                    Assert.Equal(0, data[10]);
                    Assert.Equal(0, data[11]);
                    Assert.Equal(0, data[12]);
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }
            pos += 12 + length;
        }
        Assert.Equal(png.Length, pos);
        Assert.Equal("IHDR", chunks[0]);
        Assert.Equal("IEND", chunks[^1]);

        int bpp = colorType switch { 0 => 1, 2 => 3, 6 => 4, _ => throw new InvalidDataException() };
        int stride = width * bpp;
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        byte[] f = raw.ToArray();
        Assert.Equal(height * (stride + 1), f.Length);
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            int filter = f[y * (stride + 1)];
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? pixels[(y * stride) + i - bpp] : 0;
                int b = y > 0 ? pixels[((y - 1) * stride) + i] : 0;
                int c = i >= bpp && y > 0 ? pixels[((y - 1) * stride) + i - bpp] : 0;
                int p = a + b - c;
                int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                int pred = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c,
                    _ => throw new InvalidDataException($"filter {filter}"),
                };
                pixels[(y * stride) + i] = (byte)(f[(y * (stride + 1)) + 1 + i] + pred);
            }
        }
        return new Decoded(width, height, colorType, pixels, chunks);
    }

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
        Decoded d = Decode(png);
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
        Assert.Equal(0xCBF43926u, BitwiseCrc("123456789"u8));
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
        Decoded d = Decode(grid.ToPng());
        Assert.Equal(grid.Pixels.ToArray(), d.Pixels);

        Assert.Throws<ArgumentException>(() => ThumbnailGrid.Build([]));
        Assert.Throws<ArgumentException>(() => ThumbnailGrid.Build([new ThumbnailRow(Solid(1), [Solid(2)], [])]));
    }

    [Fact]
    public void Python_ZlibAgreesWithChunkCrcs_WhenAvailable()
    {
        string? python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : null;
        if (python is null)
        {
            return;
        }
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
