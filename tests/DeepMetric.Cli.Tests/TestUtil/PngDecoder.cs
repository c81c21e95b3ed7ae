using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepMetric.Cli.Tests.TestUtil;

/// <summary>A minimal PNG decoder written for the tests (8-bit grey, RGB, RGBA; no interlace): independent of our writer.</summary>
internal static class PngDecoder
{
    internal sealed record Image(int Width, int Height, int Channels, byte[] Pixels);

    internal static Image Decode(byte[] png)
    {
        Assert.True(png.Length > 8 && png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "not a PNG signature");
        int pos = 8, width = 0, height = 0, channels = 0;
        var idat = new MemoryStream();
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                Assert.Equal(0, data[12]);
                channels = data[9] switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => throw new InvalidDataException($"colour type {data[9]}") };
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            pos += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        byte[] f = raw.ToArray();
        int stride = width * channels;
        Assert.Equal(height * (stride + 1), f.Length);
        var px = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            int filter = f[y * (stride + 1)];
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? px[(y * stride) + i - channels] : 0;
                int b = y > 0 ? px[((y - 1) * stride) + i] : 0;
                int c = i >= channels && y > 0 ? px[((y - 1) * stride) + i - channels] : 0;
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
                px[(y * stride) + i] = (byte)(f[(y * (stride + 1)) + 1 + i] + pred);
            }
        }
        return new Image(width, height, channels, px);
    }

    /// <summary>Distinct colours (first three channels) in the image.</summary>
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
}
