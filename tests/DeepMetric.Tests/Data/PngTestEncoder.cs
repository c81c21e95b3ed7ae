using System.IO.Compression;
using System.Text;

namespace DeepMetric.Tests.Data;

/// <summary>A minimal PNG writer for tests: given packed rows, applies a chosen filter per row and writes chunks with a bitwise CRC.</summary>
internal static class PngTestEncoder
{
    /// <param name="rows">Unfiltered packed scanlines.</param>
    /// <param name="bpp">Filter unit in bytes (bytes per pixel, at least 1).</param>
    /// <param name="filterOfRow">Filter type for each row (0–4).</param>
    public static byte[] Encode(int width, int height, int bitDepth, int colorType, byte[][] rows, int bpp,
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
                int predictor = f switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => PaethTest(a, b, c),
                    _ => 0,
                };
                raw.WriteByte((byte)(row[i] - predictor));
            }
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(raw.ToArray());
        }
        byte[] idat = compressed.ToArray();

        var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        WriteBE(ihdr, 0, (uint)width);
        WriteBE(ihdr, 4, (uint)height);
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

    // Paeth predictor written from the specification's definition.
    private static int PaethTest(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }
        return pb <= pc ? b : c;
    }

    private static void Chunk(Stream s, string type, byte[] body)
    {
        var len = new byte[4];
        WriteBE(len, 0, (uint)body.Length);
        s.Write(len);
        var typed = Encoding.ASCII.GetBytes(type).Concat(body).ToArray();
        s.Write(typed);
        var crc = new byte[4];
        WriteBE(crc, 0, BitwiseCrc(typed));
        s.Write(crc);
    }

    // Bit-at-a-time CRC-32 (no table), independent of the decoder's table-driven one.
    public static uint BitwiseCrc(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
            }
        }
        return ~crc;
    }

    private static void WriteBE(byte[] buffer, int offset, uint value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }
}
