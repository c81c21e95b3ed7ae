using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepMetric.Cli.Commands;

/// <summary>Reads and writes float tensors of any rank as NumPy .npy files (version 1.0/2.0, C order).</summary>
internal static partial class NpyTensorFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a float32/float64 array of any rank.</summary>
    /// <exception cref="InvalidDataException">Not an .npy file, truncated, Fortran-ordered or not float.</exception>
    public static (float[] Values, int[] Shape) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not an .npy file (no NUMPY magic).");
        }
        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int start = major == 1 ? 10 : 12;
        if (start + headerLength > bytes.Length)
        {
            throw new InvalidDataException($"'{path}' is truncated (its .npy header is cut off).");
        }
        string header = Encoding.Latin1.GetString(bytes, start, headerLength);
        var descr = DescrPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !shapeMatch.Success)
        {
            throw new InvalidDataException($"'{path}': unreadable .npy header '{header.Trim()}'.");
        }
        if (FortranPattern().IsMatch(header))
        {
            throw new InvalidDataException($"'{path}': Fortran-ordered arrays are not supported; save it in C order.");
        }
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        long count = shape.Aggregate(1L, (p, q) => p * q);
        string d = descr.Groups[1].Value;
        int width = d switch { "<f4" or "=f4" => 4, "<f8" or "=f8" => 8, _ => 0 };
        if (width == 0)
        {
            throw new InvalidDataException($"'{path}': the array must be little-endian float32 or float64, got '{d}'.");
        }
        int data = start + headerLength;
        if (bytes.Length - data < count * width)
        {
            throw new InvalidDataException($"'{path}' is truncated: shape ({string.Join(", ", shape)}) needs {count * width} bytes of data, the file has {bytes.Length - data}.");
        }
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = width == 4 ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + (4 * i))) : (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(data + (8 * i)));
        }
        return (values, shape);
    }

    /// <summary>Writes a float32 array atomically (a temporary file renamed over the target).</summary>
    public static void Write(string path, ReadOnlySpan<float> values, int[] shape)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - (total % 64)) % 64;
        string header = dict + new string(' ', pad) + "\n";
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(Magic);
                stream.Write([1, 0]);
                Span<byte> len = stackalloc byte[2];
                BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
                stream.Write(len);
                stream.Write(Encoding.Latin1.GetBytes(header));
                stream.Write(MemoryMarshal.AsBytes(values));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*True")]
    private static partial Regex FortranPattern();
}
