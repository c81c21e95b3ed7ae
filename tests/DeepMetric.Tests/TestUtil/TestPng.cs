using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DeepMetric.Tests.TestUtil;

/// <summary>
/// A minimal PNG encoder and decoder written for the tests from the PNG specification, independent of the library's
/// PNG code, so what it writes or reads can be checked against. Linked into both test projects.
/// </summary>
internal static class TestPng
{
    /// <summary>A decoded image: <paramref name="Pixels"/> holds <paramref name="Channels"/> bytes per pixel, row by row.</summary>
    internal sealed record Image(int Width, int Height, int ColorType, int Channels, byte[] Pixels, IReadOnlyList<string> Chunks);

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// Decodes an 8-bit, non-interlaced greyscale, grey+alpha, RGB or RGBA PNG, asserting the signature, every chunk's
    /// CRC, the IHDR fields, IHDR first and IEND last, and the inflated size; undoes the five row filters.
    /// </summary>
    internal static Image Decode(byte[] png)
    {
        Assert.True(png.Length > 8 && png.AsSpan(0, 8).SequenceEqual(Signature), "not a PNG signature");
        int pos = 8, width = 0, height = 0, colorType = -1;
        using var idat = new MemoryStream();
        var chunks = new List<string>();
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(pos + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(BitwiseCrc(png.AsSpan(pos + 4, 4 + length)), crc);
            chunks.Add(type);
            if (type == "IHDR")
            {
                Assert.Equal(13, length);
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                colorType = data[9];
                Assert.Equal(0, data[10]);
                Assert.Equal(0, data[11]);
                Assert.Equal(0, data[12]);
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            pos += 12 + length;
        }
        Assert.Equal(png.Length, pos);
        Assert.Equal("IHDR", chunks[0]);
        Assert.Equal("IEND", chunks[^1]);

        int channels = colorType switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => throw new InvalidDataException($"colour type {colorType}") };
        int stride = width * channels;
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        byte[] f = raw.ToArray();
        Assert.Equal(height * (stride + 1), f.Length);
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            int filter = f[y * (stride + 1)];
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? pixels[(y * stride) + i - channels] : 0;
                int b = y > 0 ? pixels[((y - 1) * stride) + i] : 0;
                int c = i >= channels && y > 0 ? pixels[((y - 1) * stride) + i - channels] : 0;
                int predictor = filter <= 4 ? Predict(filter, a, b, c) : throw new InvalidDataException($"filter {filter}");
                pixels[(y * stride) + i] = (byte)(f[(y * (stride + 1)) + 1 + i] + predictor);
            }
        }
        return new Image(width, height, colorType, channels, pixels, chunks);
    }

    /// <summary>Distinct colours (first three channels; grey counts as r = g = b) in the image, alpha ignored.</summary>
    internal static int DistinctColours(Image image)
    {
        var set = new HashSet<int>();
        for (int i = 0; i < image.Pixels.Length; i += image.Channels)
        {
            int r = image.Pixels[i];
            int g = image.Channels >= 3 ? image.Pixels[i + 1] : r;
            int b = image.Channels >= 3 ? image.Pixels[i + 2] : r;
            set.Add((r << 16) | (g << 8) | b);
        }
        return set.Count;
    }

    /// <summary>Writes a PNG from packed rows, applying the chosen filter to each row, with a bitwise CRC per chunk.</summary>
    /// <param name="rows">Unfiltered packed scanlines.</param>
    /// <param name="bpp">Filter unit in bytes (bytes per pixel, at least 1).</param>
    /// <param name="filterOfRow">Filter type for each row (0–4).</param>
    internal static byte[] Encode(int width, int height, int bitDepth, int colorType, byte[][] rows, int bpp,
        Func<int, int> filterOfRow, byte[]? palette = null, int interlace = 0, int idatPieces = 1, bool textChunk = false)
    {
        var raw = new MemoryStream();
        for (int y = 0; y < rows.Length; y++)
        {
            int f = filterOfRow(y);
            raw.WriteByte((byte)f);
            var row = rows[y];
            var prev = y > 0 ? rows[y - 1] : new byte[row.Length];
            for (int i = 0; i < row.Length; i++)
            {
                int a = i >= bpp ? row[i - bpp] : 0;
                int b = prev[i];
                int c = i >= bpp ? prev[i - bpp] : 0;
                raw.WriteByte((byte)(row[i] - (f <= 4 ? Predict(f, a, b, c) : 0)));
            }
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(raw.ToArray());
        }
        byte[] idat = compressed.ToArray();

        var png = new MemoryStream();
        png.Write(Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        ihdr[12] = (byte)interlace;
        Chunk(png, "IHDR", ihdr);
        if (textChunk)
        {
            Chunk(png, "tEXt", Encoding.ASCII.GetBytes("Comment\0test"));
        }
        if (palette is not null)
        {
            Chunk(png, "PLTE", palette);
        }
        int piece = (idat.Length + idatPieces - 1) / idatPieces;
        for (int off = 0; off < idat.Length; off += piece)
        {
            Chunk(png, "IDAT", idat.AsSpan(off, Math.Min(piece, idat.Length - off)).ToArray());
        }
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Bit-at-a-time CRC-32 (reflected polynomial 0xEDB88320, no table), independent of the library's table-driven one.</summary>
    internal static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }
        return ~crc;
    }

    // The filter predictors of the specification: None, Sub (a), Up (b), Average, Paeth.
    private static int Predict(int filter, int a, int b, int c)
    {
        switch (filter)
        {
            case 0:
                return 0;
            case 1:
                return a;
            case 2:
                return b;
            case 3:
                return (a + b) / 2;
            default:
                int p = a + b - c;
                int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
    }

    private static void Chunk(Stream s, string type, byte[] body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)body.Length);
        s.Write(word);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. body];
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, BitwiseCrc(typed));
        s.Write(word);
    }
}
