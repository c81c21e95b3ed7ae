using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace DeepMetric.Search;

/// <summary>Little-endian writer that feeds every byte it writes to an XXH3-64 hash (the payload checksum).</summary>
internal sealed class HashingWriter(Stream stream)
{
    private readonly Stream _stream = stream;
    private readonly XxHash3 _hash = new();
    private readonly byte[] _scratch = new byte[8];

    public long Written { get; private set; }

    public ulong Checksum => _hash.GetCurrentHashAsUInt64();

    public void Write(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        _hash.Append(bytes);
        Written += bytes.Length;
    }

    public void Write(ReadOnlySpan<float> values) => Write(MemoryMarshal.AsBytes(values));

    public void Write(ReadOnlySpan<int> values) => Write(MemoryMarshal.AsBytes(values));

    public void WriteInt32(int value)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_scratch, value);
        Write(_scratch.AsSpan(0, 4));
    }

    public void WriteInt64(long value)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(_scratch, value);
        Write(_scratch.AsSpan(0, 8));
    }

    public void WriteString(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        WriteInt32(bytes.Length);
        Write(bytes);
    }

    /// <summary>Zero bytes up to the next multiple of <paramref name="alignment"/> (counted from the start of the file when <paramref name="origin"/> is the header size).</summary>
    public void PadTo(int alignment, long origin)
    {
        long position = origin + Written;
        int pad = (int)((alignment - (position % alignment)) % alignment);
        Span<byte> zeros = stackalloc byte[64];
        Write(zeros[..pad]);
    }
}
