using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepMetric.Data.Glyphs;

/// <summary>
/// The two NumPy <c>.npy</c> (format 1.0) arrays a glyph set is stored in: unsigned bytes [N, H, W] and
/// little-endian int32 [N]; <c>numpy.load</c> reads both.
/// </summary>
internal static partial class GlyphNpy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];

    internal static void WriteBytes(Stream stream, ReadOnlySpan<byte> data, int n, int height, int width)
    {
        WriteHeader(stream, "|u1", string.Create(CultureInfo.InvariantCulture, $"({n}, {height}, {width})"));
        stream.Write(data);
    }

    internal static void WriteInt32(Stream stream, ReadOnlySpan<int> data)
    {
        WriteHeader(stream, "<i4", string.Create(CultureInfo.InvariantCulture, $"({data.Length},)"));
        var buffer = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(i * 4), data[i]);
        }
        stream.Write(buffer);
    }

    private static void WriteHeader(Stream stream, string descr, string shape)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Magic (8) + header length (2) + dict + padding + '\n' is a multiple of 64, as numpy writes it.
        int total = (Magic.Length + 2 + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - Magic.Length - 2 - 1) + "\n";
        stream.Write(Magic);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
    }

    /// <summary>Parses a uint8 [N, H, W] array from the bytes of <paramref name="path"/>.</summary>
    internal static (byte[] Data, int N, int Height, int Width) ReadBytes(string path, byte[] bytes)
    {
        var (descr, shape, data) = Read(path, bytes);
        if (descr != "|u1" || shape.Length != 3)
        {
            throw new InvalidDataException($"'{path}' should hold uint8 images [N, H, W] ('|u1', 3 dimensions), but holds '{descr}' with {shape.Length} dimensions.");
        }
        long expected = (long)shape[0] * shape[1] * shape[2];
        if (data.Length != expected)
        {
            throw new InvalidDataException($"'{path}': shape ({shape[0]}, {shape[1]}, {shape[2]}) needs {expected} bytes of data, found {data.Length}.");
        }
        return (data, shape[0], shape[1], shape[2]);
    }

    /// <summary>Parses a little-endian int32 [N] array from the bytes of <paramref name="path"/>.</summary>
    internal static int[] ReadInt32(string path, byte[] bytes)
    {
        var (descr, shape, data) = Read(path, bytes);
        if (descr != "<i4" || shape.Length != 1)
        {
            throw new InvalidDataException($"'{path}' should hold int32 labels [N] ('<i4', 1 dimension), but holds '{descr}' with {shape.Length} dimensions.");
        }
        if (data.Length != (long)shape[0] * 4)
        {
            throw new InvalidDataException($"'{path}': shape ({shape[0]},) needs {shape[0] * 4L} bytes of data, found {data.Length}.");
        }
        var labels = new int[shape[0]];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(i * 4));
        }
        return labels;
    }

    // path names the file in messages; bytes are its (uncompressed) content.
    private static (string Descr, int[] Shape, byte[] Data) Read(string path, byte[] bytes)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic[..6]) || bytes[6] != 1)
        {
            throw new InvalidDataException($"'{path}' is not a NumPy .npy file of format 1.x.");
        }
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        if (10 + headerLength > bytes.Length)
        {
            throw new InvalidDataException($"'{path}' is truncated inside its header.");
        }
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        var descr = DescrPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !shape.Success || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}' has an .npy header this reader does not understand: {header.Trim()}");
        }
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new InvalidDataException($"'{path}': bad shape '{shape.Value}'."))
            .ToArray();
        return (descr.Groups[1].Value, dims, bytes[(10 + headerLength)..]);
    }

    [GeneratedRegex(@"'descr':\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
