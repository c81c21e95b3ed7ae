using System.Buffers.Binary;
using System.Globalization;

namespace DeepMetric.Tensors.Random;

/// <summary>
/// The saved state of a <see cref="Prng"/>, and its two encodings: <see cref="ByteLength"/> little-endian bytes for
/// binary files (the HNSW index) and a colon-separated hexadecimal text for metadata (checkpoints). Both round-trip
/// exactly, including the cached normal sample, so a restored generator continues bit-identically.
/// </summary>
/// <param name="S0">State word 0.</param>
/// <param name="S1">State word 1.</param>
/// <param name="S2">State word 2.</param>
/// <param name="S3">State word 3.</param>
/// <param name="HasSpareNormal">Whether a second normal sample is cached.</param>
/// <param name="SpareNormal">The cached normal sample.</param>
public sealed record PrngState(ulong S0, ulong S1, ulong S2, ulong S3, bool HasSpareNormal, double SpareNormal)
{
    /// <summary>Bytes of the binary encoding: four 64-bit words, a 32-bit flag (0 or 1), the 64-bit spare normal.</summary>
    public const int ByteLength = (4 * 8) + 4 + 8;

    /// <summary>Writes the binary encoding to the first <see cref="ByteLength"/> bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than <see cref="ByteLength"/>.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < ByteLength)
        {
            throw new ArgumentException($"Needs {ByteLength} bytes, got {destination.Length}.", nameof(destination));
        }
        BinaryPrimitives.WriteUInt64LittleEndian(destination, S0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], S1);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], S2);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], S3);
        BinaryPrimitives.WriteInt32LittleEndian(destination[32..], HasSpareNormal ? 1 : 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[36..], BitConverter.DoubleToInt64Bits(SpareNormal));
    }

    /// <summary>Reads the binary encoding written by <see cref="WriteTo"/>.</summary>
    /// <exception cref="InvalidDataException">Too few bytes, a flag other than 0 or 1, or an all-zero state (which xoshiro256** cannot have).</exception>
    public static PrngState ReadFrom(ReadOnlySpan<byte> source)
    {
        if (source.Length < ByteLength)
        {
            throw new InvalidDataException($"A generator state needs {ByteLength} bytes, got {source.Length}.");
        }
        int flag = BinaryPrimitives.ReadInt32LittleEndian(source[32..]);
        return Checked(
            BinaryPrimitives.ReadUInt64LittleEndian(source),
            BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[24..]),
            (ulong)(uint)flag,
            (ulong)BinaryPrimitives.ReadInt64LittleEndian(source[36..]),
            "binary state");
    }

    /// <summary>The text encoding: six 16-digit hexadecimal fields <c>s0:s1:s2:s3:flag:spare-bits</c>.</summary>
    public string ToText() => string.Join(':',
        S0.ToString("x16", CultureInfo.InvariantCulture), S1.ToString("x16", CultureInfo.InvariantCulture),
        S2.ToString("x16", CultureInfo.InvariantCulture), S3.ToString("x16", CultureInfo.InvariantCulture),
        HasSpareNormal ? "1" : "0", BitConverter.DoubleToInt64Bits(SpareNormal).ToString("x16", CultureInfo.InvariantCulture));

    /// <summary>Parses the text encoding of <see cref="ToText"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="InvalidDataException">Not six hexadecimal fields, a flag other than 0 or 1, or an all-zero state.</exception>
    public static PrngState ParseText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        var words = new ulong[6];
        bool ok = parts.Length == 6;
        for (int i = 0; ok && i < 6; i++)
        {
            ok = ulong.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]);
        }
        if (!ok)
        {
            throw new InvalidDataException($"A generator state is six ':'-separated hexadecimal fields, got '{text}'.");
        }
        return Checked(words[0], words[1], words[2], words[3], words[4], words[5], $"state '{text}'");
    }

    private static PrngState Checked(ulong s0, ulong s1, ulong s2, ulong s3, ulong flag, ulong spareBits, string what)
    {
        if ((s0 | s1 | s2 | s3) == 0)
        {
            throw new InvalidDataException($"Generator {what} is all zeros, which xoshiro256** cannot reach.");
        }
        if (flag > 1)
        {
            throw new InvalidDataException($"Generator {what} has spare-normal flag {flag}; expected 0 or 1.");
        }
        return new PrngState(s0, s1, s2, s3, flag == 1, BitConverter.Int64BitsToDouble((long)spareBits));
    }
}
