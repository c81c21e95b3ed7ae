using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepMetric.Data;

/// <summary>
/// A PNG decoder (ISO/IEC 15948, W3C PNG specification) for non-interlaced images: grey scale (1, 2, 4, 8, 16 bits),
/// grey + alpha, RGB and RGBA (8, 16 bits) and palette (1, 2, 4, 8 bits, decoded to RGB; tRNS is ignored). All five
/// row filters are undone, every chunk's CRC is checked, and the image data is inflated with
/// <see cref="ZLibStream"/>. Ancillary chunks are skipped; gamma and colour profiles are not applied.
/// </summary>
public static class PngDecoder
{
    private static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Whether <paramref name="data"/> starts with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    /// <summary>Decodes a PNG file held in <paramref name="data"/>; <paramref name="fileName"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The data is not a PNG, is truncated or corrupt (bad CRC, bad zlib stream,
    /// bad filter type, inconsistent header), or uses interlacing or another unsupported feature; the message names the file.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, string fileName)
    {
        if (!IsPng(data))
        {
            throw Bad(fileName, "not a PNG file (bad signature)");
        }
        int pos = Signature.Length;
        int width = 0, height = 0, bitDepth = 0, colorType = -1;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        bool sawEnd = false;
        while (!sawEnd)
        {
            if (data.Length - pos < 12)
            {
                throw Bad(fileName, "truncated (missing IEND chunk)");
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            if (length > int.MaxValue || length > (uint)(data.Length - pos - 12))
            {
                throw Bad(fileName, $"truncated chunk at byte {pos}");
            }
            var typeAndBody = data.Slice(pos + 4, 4 + (int)length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            string type = System.Text.Encoding.ASCII.GetString(typeAndBody[..4]);
            if (System.IO.Hashing.Crc32.HashToUInt32(typeAndBody) != storedCrc)
            {
                throw Bad(fileName, $"CRC mismatch in chunk {type} at byte {pos}");
            }
            var body = typeAndBody[4..];
            pos += 12 + (int)length;
            bool first = colorType < 0;
            if (first && type != "IHDR")
            {
                throw Bad(fileName, "the first chunk is not IHDR");
            }
            switch (type)
            {
                case "IHDR":
                    if (!first || body.Length != 13)
                    {
                        throw Bad(fileName, "bad IHDR chunk");
                    }
                    width = BinaryPrimitives.ReadInt32BigEndian(body);
                    height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                    bitDepth = body[8];
                    colorType = body[9];
                    CheckHeader(fileName, width, height, bitDepth, colorType, body[10], body[11], body[12]);
                    break;
                case "PLTE":
                    if (body.Length % 3 != 0 || body.Length == 0 || body.Length > 768)
                    {
                        throw Bad(fileName, $"bad PLTE chunk of {body.Length} bytes");
                    }
                    palette = body.ToArray();
                    break;
                case "IDAT":
                    idat.Write(body);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    // Bit 5 of the first letter clear (upper case) marks a critical chunk we cannot ignore.
                    if ((typeAndBody[0] & 0x20) == 0)
                    {
                        throw Bad(fileName, $"unsupported critical chunk {type}");
                    }
                    break;
            }
        }
        if (colorType == 3 && palette is null)
        {
            throw Bad(fileName, "a palette image without a PLTE chunk");
        }
        if (idat.Length == 0)
        {
            throw Bad(fileName, "no IDAT chunk");
        }

        int samples = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        long rowBytesLong = (((long)width * samples * bitDepth) + 7) / 8;
        long rawLength = height * (rowBytesLong + 1);
        if (rawLength > Array.MaxLength || (long)width * height * Math.Max(samples, 3) > Array.MaxLength)
        {
            throw Bad(fileName, $"an image of {width}×{height} is too large");
        }
        int rowBytes = (int)rowBytesLong;
        var raw = new byte[rawLength];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress, leaveOpen: true);
            int read = 0;
            while (read < raw.Length)
            {
                int n = z.Read(raw, read, raw.Length - read);
                if (n == 0)
                {
                    throw Bad(fileName, $"truncated image data ({read} of {raw.Length} bytes after inflating)");
                }
                read += n;
            }
        }
        catch (InvalidDataException ex) when (!ex.Message.Contains(fileName, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"PNG file '{fileName}': corrupt compressed image data ({ex.Message}).", ex);
        }

        int bpp = Math.Max(1, samples * bitDepth / 8);   // filter unit: bytes per complete pixel, at least 1
        Unfilter(raw, height, rowBytes, bpp, fileName);
        return ToImage(raw, width, height, rowBytes, bitDepth, colorType, samples, palette, fileName);
    }

    private static void CheckHeader(string fileName, int width, int height, int bitDepth, int colorType, int compression, int filter, int interlace)
    {
        if (width <= 0 || height <= 0)
        {
            throw Bad(fileName, $"bad size {width}×{height}");
        }
        bool ok = colorType switch
        {
            0 => bitDepth is 1 or 2 or 4 or 8 or 16,
            3 => bitDepth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => bitDepth is 8 or 16,
            _ => false,
        };
        if (!ok)
        {
            throw Bad(fileName, $"invalid colour type {colorType} with bit depth {bitDepth}");
        }
        if (compression != 0 || filter != 0)
        {
            throw Bad(fileName, $"unknown compression method {compression} or filter method {filter}");
        }
        if (interlace != 0)
        {
            throw Bad(fileName, interlace == 1 ? "Adam7 interlaced PNGs are not supported; save it non-interlaced" : $"unknown interlace method {interlace}");
        }
    }

    // Undoes the per-row filters in place: raw holds height rows of (filter byte, rowBytes bytes).
    private static void Unfilter(byte[] raw, int height, int rowBytes, int bpp, string fileName)
    {
        int stride = rowBytes + 1;
        for (int y = 0; y < height; y++)
        {
            int start = (y * stride) + 1;
            var row = raw.AsSpan(start, rowBytes);
            var prev = y == 0 ? Span<byte>.Empty : raw.AsSpan(start - stride, rowBytes);
            int type = raw[start - 1];
            switch (type)
            {
                case 0:
                    break;
                case 1:
                    for (int i = bpp; i < row.Length; i++)
                    {
                        row[i] += row[i - bpp];
                    }
                    break;
                case 2:
                    if (!prev.IsEmpty)
                    {
                        for (int i = 0; i < row.Length; i++)
                        {
                            row[i] += prev[i];
                        }
                    }
                    break;
                case 3:
                    for (int i = 0; i < row.Length; i++)
                    {
                        int left = i >= bpp ? row[i - bpp] : 0;
                        int up = prev.IsEmpty ? 0 : prev[i];
                        row[i] += (byte)((left + up) >> 1);
                    }
                    break;
                case 4:
                    for (int i = 0; i < row.Length; i++)
                    {
                        int a = i >= bpp ? row[i - bpp] : 0;
                        int b = prev.IsEmpty ? 0 : prev[i];
                        int c = i >= bpp && !prev.IsEmpty ? prev[i - bpp] : 0;
                        row[i] += (byte)DeepMetric.Internal.PngPaeth.Predict(a, b, c);
                    }
                    break;
                default:
                    throw Bad(fileName, $"unknown filter type {type} on row {y}");
            }
        }
    }

    private static DecodedImage ToImage(byte[] raw, int width, int height, int rowBytes, int bitDepth, int colorType,
        int samples, byte[]? palette, string fileName)
    {
        int outChannels = colorType == 3 ? 3 : samples;
        var pixels = GC.AllocateUninitializedArray<float>(width * height * outChannels);
        int stride = rowBytes + 1;
        float scale = (1 << bitDepth) - 1;   // divide, so that the largest value maps to exactly 1
        int k = 0;
        for (int y = 0; y < height; y++)
        {
            var row = raw.AsSpan((y * stride) + 1, rowBytes);
            if (bitDepth == 8 && colorType != 3)
            {
                for (int i = 0; i < width * samples; i++)
                {
                    pixels[k++] = row[i] / 255f;
                }
            }
            else if (bitDepth == 16)
            {
                for (int i = 0; i < width * samples; i++)
                {
                    pixels[k++] = BinaryPrimitives.ReadUInt16BigEndian(row[(2 * i)..]) / 65535f;
                }
            }
            else
            {
                // Grey or palette at 1, 2, 4 or 8 bits: samples packed from the most significant bit.
                int mask = (1 << bitDepth) - 1;
                for (int x = 0; x < width; x++)
                {
                    int bit = x * bitDepth;
                    int v = (row[bit >> 3] >> (8 - bitDepth - (bit & 7))) & mask;
                    if (colorType == 3)
                    {
                        if (3 * v >= palette!.Length)
                        {
                            throw Bad(fileName, $"palette index {v} at ({x}, {y}) is beyond the {palette.Length / 3} palette entries");
                        }
                        pixels[k++] = palette[3 * v] / 255f;
                        pixels[k++] = palette[(3 * v) + 1] / 255f;
                        pixels[k++] = palette[(3 * v) + 2] / 255f;
                    }
                    else
                    {
                        pixels[k++] = v / scale;
                    }
                }
            }
        }
        return new DecodedImage(width, height, outChannels, pixels);
    }

    private static InvalidDataException Bad(string fileName, string what) => new($"PNG file '{fileName}': {what}.");
}
