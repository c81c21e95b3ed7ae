using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepMetric.Imaging;

/// <summary>
/// Encodes 8-bit grey, RGB and RGBA images as PNG (ISO/IEC 15948, W3C PNG specification): signature, IHDR,
/// one IDAT holding the zlib-compressed filtered rows, IEND; each chunk with its CRC-32. Rows use the filter
/// with the smallest sum of absolute signed residuals, the heuristic the specification suggests.
/// </summary>
public static class PngWriter
{
    private static readonly byte[] s_signature = [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Encodes interleaved samples, rows top to bottom.</summary>
    /// <exception cref="ArgumentException">Size not positive or <paramref name="pixels"/> of the wrong length.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, PngColorType colorType)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        int channels = colorType switch
        {
            PngColorType.Grayscale => 1,
            PngColorType.Rgb => 3,
            PngColorType.Rgba => 4,
            _ => throw new ArgumentOutOfRangeException(nameof(colorType), colorType, "Unsupported PNG colour type."),
        };
        long stride = (long)width * channels;
        if (pixels.Length != stride * height)
        {
            throw new ArgumentException($"Expected {stride * height} bytes for a {width}×{height} {colorType} image, got {pixels.Length}.", nameof(pixels));
        }

        using var output = new MemoryStream();
        output.Write(s_signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = (byte)colorType;
        ihdr[10] = 0; // deflate
        ihdr[11] = 0; // adaptive filtering
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR"u8, ihdr);

        WriteChunk(output, "IDAT"u8, Compress(pixels, (int)stride, height, channels));
        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    /// <summary>Encodes an image.</summary>
    public static byte[] Encode(RasterImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.Pixels, image.Width, image.Height, image.ColorType);
    }

    /// <summary>A data URI ("data:image/png;base64,…") for embedding PNG bytes in HTML.</summary>
    public static string ToDataUri(ReadOnlySpan<byte> png) => ToDataUri(png, "image/png");

    /// <summary>A base64 data URI with the given media type.</summary>
    public static string ToDataUri(ReadOnlySpan<byte> data, string mediaType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mediaType);
        return "data:" + mediaType + ";base64," + Convert.ToBase64String(data);
    }

    private static byte[] Compress(ReadOnlySpan<byte> pixels, int stride, int height, int bpp)
    {
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var best = new byte[stride + 1];
            var trial = new byte[stride + 1];
            var zeros = new byte[stride];
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<byte> row = pixels.Slice(y * stride, stride);
                ReadOnlySpan<byte> prior = y == 0 ? zeros : pixels.Slice((y - 1) * stride, stride);
                long bestScore = long.MaxValue;
                for (byte filter = 0; filter <= 4; filter++)
                {
                    long score = Filter(filter, row, prior, bpp, trial);
                    if (score < bestScore)
                    {
                        bestScore = score;
                        (best, trial) = (trial, best);
                    }
                }
                z.Write(best);
            }
        }
        return compressed.ToArray();
    }

    // Writes filter byte + filtered row into dst; returns the sum of |residual| with residuals read as signed bytes.
    private static long Filter(byte filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> dst)
    {
        dst[0] = filter;
        long score = 0;
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0;
            int b = prior[i];
            int c = i >= bpp ? prior[i - bpp] : 0;
            int predictor = filter switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                _ => DeepMetric.Internal.PngPaeth.Predict(a, b, c),
            };
            byte r = (byte)(row[i] - predictor);
            dst[i + 1] = r;
            score += Math.Abs((int)(sbyte)r);
        }
        return score;
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        var crc32 = new System.IO.Hashing.Crc32();
        crc32.Append(type);
        crc32.Append(data);
        uint crc = crc32.GetCurrentHashAsUInt32();
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }
}
