using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepMetric.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (LeCun et al., "Gradient-based learning applied to
/// document recognition", 1998): a big-endian magic number <c>0x0000TTRR</c> (TT = element type, 0x08 for
/// unsigned bytes; RR = number of dimensions), RR big-endian 32-bit sizes, then the row-major data.
/// Files may be raw or gzip-compressed; compression is detected from the content (gzip's 1F 8B signature),
/// never from the file name.
/// </summary>
internal static class IdxReader
{
    /// <summary>Magic number of an unsigned-byte, three-dimensional IDX file: images [n, rows, cols].</summary>
    internal const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an unsigned-byte, one-dimensional IDX file: labels [n].</summary>
    internal const int LabelsMagic = 0x00000801;

    /// <summary>Reads an images file (magic 0x00000803).</summary>
    /// <exception cref="InvalidDataException">The file is empty, truncated, not an IDX images file or has trailing bytes.</exception>
    internal static IdxImages ReadImages(string path)
    {
        var (dims, data) = Read(path, ImagesMagic);
        return new IdxImages(dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads a labels file (magic 0x00000801).</summary>
    /// <exception cref="InvalidDataException">The file is empty, truncated, not an IDX labels file or has trailing bytes.</exception>
    internal static byte[] ReadLabels(string path) => Read(path, LabelsMagic).Data;

    private static (int[] Dims, byte[] Data) Read(string path, int expectedMagic)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (file.Length == 0)
        {
            throw Invalid(path, "the file is empty");
        }

        Span<byte> signature = stackalloc byte[2];
        bool gzip = file.ReadAtLeast(signature, 2, throwOnEndOfStream: false) == 2 && signature[0] == 0x1F && signature[1] == 0x8B;
        file.Position = 0;
        using var decompressed = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : null;
        Stream stream = decompressed is null ? file : decompressed;

        Span<byte> word = stackalloc byte[4];
        int got = ReadFully(stream, word, path);
        if (got == 0)
        {
            throw Invalid(path, "the file is empty (the gzip stream decompresses to nothing)");
        }
        if (got < 4)
        {
            throw Invalid(path, $"truncated: {got} byte(s), too short for the 4-byte magic number");
        }
        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic)
        {
            throw Invalid(path, $"bad magic number 0x{magic:X8}, expected 0x{expectedMagic:X8} ({Describe(expectedMagic)}){Hint(magic)}");
        }

        int rank = magic & 0xFF;
        var dims = new int[rank];
        long total = 1;
        for (int d = 0; d < rank; d++)
        {
            got = ReadFully(stream, word, path);
            if (got < 4)
            {
                throw Invalid(path, $"truncated header: it ends inside the size of dimension {d} of {rank}");
            }
            uint size = BinaryPrimitives.ReadUInt32BigEndian(word);
            if (size > int.MaxValue)
            {
                throw Invalid(path, $"dimension {d} has an impossible size {size}");
            }
            dims[d] = (int)size;
            total *= size;
            if (total > Array.MaxLength)
            {
                throw Invalid(path, $"the header declares more than {Array.MaxLength} data bytes ({string.Join("×", dims[..(d + 1)])}...)");
            }
        }

        var data = GC.AllocateUninitializedArray<byte>((int)total);
        got = ReadFully(stream, data, path);
        if (got < total)
        {
            throw Invalid(path, $"truncated: the header declares {string.Join("×", dims)} = {total} data bytes but only {got} are present");
        }
        if (ReadFully(stream, word[..1], path) != 0)
        {
            throw Invalid(path, $"unexpected bytes after the {total} data bytes declared by the header ({string.Join("×", dims)})");
        }
        return (dims, data);
    }

    // Reads until the buffer is full or the stream ends; a corrupt gzip stream is reported against the file.
    private static int ReadFully(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(path, $"corrupt gzip data ({e.Message})", e);
        }
    }

    private static string Describe(int magic) => magic switch
    {
        ImagesMagic => "IDX images: unsigned bytes [n, rows, cols]",
        LabelsMagic => "IDX labels: unsigned bytes [n]",
        _ => "IDX",
    };

    private static string Hint(int magic) => magic switch
    {
        ImagesMagic => "; this is an images file",
        LabelsMagic => "; this is a labels file",
        _ => "; the file is not an IDX file of unsigned bytes",
    };

    private static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"IDX file '{path}': {problem}.", inner);
}
