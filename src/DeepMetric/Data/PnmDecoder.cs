namespace DeepMetric.Data;

/// <summary>
/// A decoder for the Netpbm grey and colour formats: PGM (P2 ASCII, P5 binary) and PPM (P3 ASCII, P6 binary), with
/// any maxval from 1 to 65535 (binary samples are one byte when maxval &lt; 256, else two bytes, most significant
/// first). Samples are scaled to [0, 1] by dividing by maxval. '#' comments are allowed in the header (and, for the
/// ASCII forms, between samples).
/// </summary>
public static class PnmDecoder
{
    /// <summary>Whether <paramref name="data"/> starts with a P2, P3, P5 or P6 magic number.</summary>
    public static bool IsPnm(ReadOnlySpan<byte> data) =>
        data.Length >= 2 && data[0] == (byte)'P' && data[1] is (byte)'2' or (byte)'3' or (byte)'5' or (byte)'6';

    /// <summary>Decodes a PGM/PPM file held in <paramref name="data"/>; <paramref name="fileName"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The data is not P2/P3/P5/P6, the header is malformed, a sample exceeds maxval, or the raster is truncated; the message names the file.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, string fileName)
    {
        if (!IsPnm(data))
        {
            throw Bad(fileName, "not a PGM/PPM file (expected magic P2, P3, P5 or P6)");
        }
        char kind = (char)data[1];
        int channels = kind is '3' or '6' ? 3 : 1;
        bool binary = kind is '5' or '6';
        int pos = 2;
        int width = ReadNumber(data, ref pos, fileName, "width");
        int height = ReadNumber(data, ref pos, fileName, "height");
        int maxval = ReadNumber(data, ref pos, fileName, "maxval");
        if (width <= 0 || height <= 0)
        {
            throw Bad(fileName, $"bad size {width}×{height}");
        }
        if (maxval is < 1 or > 65535)
        {
            throw Bad(fileName, $"maxval {maxval} is outside [1, 65535]");
        }
        long count = (long)width * height * channels;
        if (count > Array.MaxLength)
        {
            throw Bad(fileName, $"an image of {width}×{height} is too large");
        }
        var pixels = GC.AllocateUninitializedArray<float>((int)count);
        float scale = maxval;   // divide, so that maxval maps to exactly 1
        if (binary)
        {
            // Exactly one whitespace byte separates maxval from the raster.
            if (pos >= data.Length || !IsSpace(data[pos]))
            {
                throw Bad(fileName, "truncated header (no whitespace after maxval)");
            }
            pos++;
            int bytesPerSample = maxval < 256 ? 1 : 2;
            if (data.Length - pos < count * bytesPerSample)
            {
                throw Bad(fileName, $"truncated raster: {count * bytesPerSample} bytes expected, {data.Length - pos} present");
            }
            for (int i = 0; i < pixels.Length; i++)
            {
                int v = bytesPerSample == 1 ? data[pos + i] : (data[pos + (2 * i)] << 8) | data[pos + (2 * i) + 1];
                if (v > maxval)
                {
                    throw Bad(fileName, $"sample {i} = {v} exceeds maxval {maxval}");
                }
                pixels[i] = v / scale;
            }
        }
        else
        {
            for (int i = 0; i < pixels.Length; i++)
            {
                int v = ReadNumber(data, ref pos, fileName, $"sample {i}");
                if (v > maxval)
                {
                    throw Bad(fileName, $"sample {i} = {v} exceeds maxval {maxval}");
                }
                pixels[i] = v / scale;
            }
        }
        return new DecodedImage(width, height, channels, pixels);
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    private static int ReadNumber(ReadOnlySpan<byte> data, ref int pos, string fileName, string what)
    {
        while (pos < data.Length)
        {
            if (IsSpace(data[pos]))
            {
                pos++;
            }
            else if (data[pos] == (byte)'#')
            {
                while (pos < data.Length && data[pos] != (byte)'\n' && data[pos] != (byte)'\r')
                {
                    pos++;
                }
            }
            else
            {
                break;
            }
        }
        if (pos >= data.Length)
        {
            throw Bad(fileName, $"truncated: {what} is missing");
        }
        long value = 0;
        int start = pos;
        while (pos < data.Length && data[pos] >= (byte)'0' && data[pos] <= (byte)'9')
        {
            value = (value * 10) + (data[pos] - '0');
            if (value > int.MaxValue)
            {
                throw Bad(fileName, $"{what} is too large");
            }
            pos++;
        }
        if (pos == start || (pos < data.Length && !IsSpace(data[pos]) && data[pos] != (byte)'#'))
        {
            throw Bad(fileName, $"{what} is not a non-negative integer (byte {start})");
        }
        return (int)value;
    }

    private static InvalidDataException Bad(string fileName, string what) => new($"PGM/PPM file '{fileName}': {what}.");
}
