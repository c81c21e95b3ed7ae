using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DeepMetric.Tensors.IO;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON mapping each tensor name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> plus an optional <c>"__metadata__"</c> string map,
/// then the raw little-endian data. Files written here are float32 (<c>F32</c>), have their keys sorted so equal
/// content gives byte-identical files, and are written atomically.
/// </summary>
public static class Safetensors
{
    private const string MetadataKey = "__metadata__";

    // Same limit as the reference implementation: a header this large is certainly corrupt.
    private const ulong MaxHeaderLength = 100_000_000;

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        // Relaxed escaping keeps non-ASCII names readable; the header is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>
    /// Writes <paramref name="tensors"/> (as F32) and <paramref name="metadata"/> to <paramref name="path"/>.
    /// The file is first written to a temporary file in the same directory and then moved over
    /// <paramref name="path"/>, so readers never see a partial file and a failure leaves no file behind.
    /// </summary>
    /// <param name="path">Destination; an existing file is replaced.</param>
    /// <param name="tensors">Tensors by name; names must be non-empty and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional free-form string metadata (written only when non-empty).</param>
    /// <exception cref="ArgumentException">A name, tensor or metadata entry is invalid.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);

        var names = new List<string>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
            {
                throw new ArgumentException($"Tensor name '{name}' is not allowed (names must be non-empty and not '{MetadataKey}').", nameof(tensors));
            }
            if (tensor is null)
            {
                throw new ArgumentException($"Tensor '{name}' is null.", nameof(tensors));
            }
            names.Add(name);
        }
        names.Sort(StringComparer.Ordinal);
        List<KeyValuePair<string, string>>? meta = null;
        if (metadata is { Count: > 0 })
        {
            meta = new List<KeyValuePair<string, string>>(metadata.Count);
            foreach (var entry in metadata)
            {
                if (entry.Key is null || entry.Value is null)
                {
                    throw new ArgumentException($"Metadata entry '{entry.Key}' has a null key or value.", nameof(metadata));
                }
                meta.Add(entry);
            }
            meta.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        }

        byte[] header = BuildHeader(names, tensors, meta);

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' has no parent directory.", nameof(path));
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (string name in names)
                {
                    WriteFloats(stream, tensors[name].ReadOnlySpan);
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>
    /// Reads a safetensors file. F32 is read directly; F64, F16, BF16 and the integer and boolean dtypes are
    /// converted to float32.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">The file is truncated or corrupt, or uses an unsupported dtype;
    /// the message names the file and the problem.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafetensorsData Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw Fail(path, $"the file is {fileLength} bytes long, too short for the 8-byte header length");
        }
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw Fail(path, $"the header length {headerLength} exceeds the {fileLength - 8} bytes that follow it (truncated file, or not a safetensors file)");
        }
        if (headerLength > MaxHeaderLength)
        {
            throw Fail(path, $"the header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
        }
        var headerBytes = new byte[(int)headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        var (entries, metadata) = ParseHeader(path, headerBytes, dataLength);

        // Every byte of the data section must belong to exactly one tensor, in offset order.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        string? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < expected)
            {
                throw Fail(path, $"the data of tensor '{e.Name}' (bytes {e.Begin}..{e.End}) overlaps that of tensor '{previous}'");
            }
            if (e.Begin > expected)
            {
                throw Fail(path, $"bytes {expected}..{e.Begin} of the data section belong to no tensor (gap before tensor '{e.Name}')");
            }
            expected = e.End;
            previous = e.Name;
        }
        if (expected != dataLength)
        {
            throw Fail(path, $"the tensors cover {expected} bytes but the data section has {dataLength} (trailing bytes belong to no tensor)");
        }

        var loaded = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var e in entries)
            {
                stream.Position = dataStart + e.Begin;
                loaded.Add(e.Name, ReadTensor(stream, e));
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new SafetensorsFormatException(path, "the file ended while reading tensor data (was it modified while being read?)", ex);
        }

        var tensors = new OrderedDictionary<string, Tensor>(loaded.Count, StringComparer.Ordinal);
        foreach (var (name, tensor) in loaded)
        {
            tensors.Add(name, tensor);
        }
        return new SafetensorsData(tensors, metadata);
    }

    private static byte[] BuildHeader(List<string> names, IReadOnlyDictionary<string, Tensor> tensors, List<KeyValuePair<string, string>>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            if (metadata is not null)
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    writer.WriteString(key, value);
                }
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (string name in names)
            {
                var t = tensors[name];
                long end = offset + ((long)t.Size * sizeof(float));
                writer.WriteStartObject(name);
                writer.WriteString("dtype", "F32");
                writer.WriteStartArray("shape");
                foreach (int d in t.Dims)
                {
                    writer.WriteNumberValue(d);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }
            writer.WriteEndObject();
        }
        // Pad with spaces so the data section starts 8-byte aligned (8 + N ≡ 0 mod 8).
        int padded = (buffer.WrittenCount + 7) & ~7;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static (List<Entry> Entries, IReadOnlyDictionary<string, string> Metadata) ParseHeader(string path, byte[] header, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(path, $"the header is not valid JSON ({ex.Message})", ex);
        }
        catch (ArgumentException ex)
        {
            // Invalid UTF-8 surfaces as ArgumentException from the reader.
            throw new SafetensorsFormatException(path, $"the header is not valid UTF-8 JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail(path, $"the header must be a JSON object, but it is {root.ValueKind}");
            }
            var entries = new List<Entry>();
            var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (var property in root.EnumerateObject())
            {
                string name = property.Name;
                if (name == MetadataKey)
                {
                    if (sawMetadata)
                    {
                        throw Fail(path, $"the header has '{MetadataKey}' twice");
                    }
                    sawMetadata = true;
                    ReadMetadata(path, property.Value, metadata);
                    continue;
                }
                if (!seen.Add(name))
                {
                    throw Fail(path, $"the header lists tensor '{name}' twice");
                }
                entries.Add(ParseEntry(path, name, property.Value, dataLength));
            }
            var meta = new OrderedDictionary<string, string>(metadata.Count, StringComparer.Ordinal);
            foreach (var (k, v) in metadata)
            {
                meta.Add(k, v);
            }
            return (entries, meta);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, SortedDictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, $"'{MetadataKey}' must be an object of strings, but it is {value.ValueKind}");
        }
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw Fail(path, $"metadata entry '{entry.Name}' must be a string, but it is {entry.Value.ValueKind}");
            }
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw Fail(path, $"metadata entry '{entry.Name}' appears twice");
            }
        }
    }

    private static Entry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, $"the entry of tensor '{name}' must be an object, but it is {value.ValueKind}");
        }
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Fail(path, $"tensor '{name}' has no string 'dtype'");
        }
        string dtypeName = dtypeElement.GetString()!;
        var dtype = ParseDType(dtypeName);
        if (dtype == DType.Unknown)
        {
            throw Fail(path, $"tensor '{name}' has unsupported dtype '{dtypeName}' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL)");
        }

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, $"tensor '{name}' has no 'shape' array");
        }
        var shape = new int[shapeElement.GetArrayLength()];
        long count = 1;
        int axis = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int n) || n < 0)
            {
                throw Fail(path, $"tensor '{name}' has an invalid shape entry {d.GetRawText()} (expected a non-negative integer)");
            }
            shape[axis++] = n;
            count = n == 0 || count == 0 ? 0 : (count > Array.MaxLength / n ? long.MaxValue : count * n);
        }
        if (count > Array.MaxLength)
        {
            throw Fail(path, $"tensor '{name}' with shape {ShapeUtil.Format(shape)} has too many elements for a single tensor");
        }

        if (!value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            throw Fail(path, $"tensor '{name}' has no 'data_offsets' array of two integers");
        }
        if (!offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end) || begin < 0 || end < begin)
        {
            throw Fail(path, $"tensor '{name}' has invalid data_offsets {offsetsElement.GetRawText()} (expected 0 ≤ begin ≤ end)");
        }
        if (end > dataLength)
        {
            throw Fail(path, $"tensor '{name}' has data_offsets [{begin}, {end}] beyond the {dataLength}-byte data section (truncated file?)");
        }
        long expectedBytes = count * DTypeSize(dtype);
        if (end - begin != expectedBytes)
        {
            throw Fail(path, $"tensor '{name}' with shape {ShapeUtil.Format(shape)} and dtype {dtypeName} needs {expectedBytes} bytes, but its data_offsets [{begin}, {end}] span {end - begin}");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static Tensor ReadTensor(FileStream stream, Entry e)
    {
        int count = ShapeUtil.Product(e.Shape);
        var data = GC.AllocateUninitializedArray<float>(count);
        if (e.DType == DType.F32 && BitConverter.IsLittleEndian)
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            return new Tensor(data, e.Shape);
        }
        int size = DTypeSize(e.DType);
        var raw = new byte[checked(count * size)];
        stream.ReadExactly(raw);
        ReadOnlySpan<byte> r = raw;
        for (int i = 0; i < count; i++)
        {
            var b = r.Slice(i * size, size);
            data[i] = e.DType switch
            {
                DType.F32 => BinaryPrimitives.ReadSingleLittleEndian(b),
                DType.F64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(b),
                DType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(b),
                DType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b) << 16),
                DType.I64 => BinaryPrimitives.ReadInt64LittleEndian(b),
                DType.I32 => BinaryPrimitives.ReadInt32LittleEndian(b),
                DType.I16 => BinaryPrimitives.ReadInt16LittleEndian(b),
                DType.I8 => (sbyte)b[0],
                DType.U64 => BinaryPrimitives.ReadUInt64LittleEndian(b),
                DType.U32 => BinaryPrimitives.ReadUInt32LittleEndian(b),
                DType.U16 => BinaryPrimitives.ReadUInt16LittleEndian(b),
                DType.U8 => b[0],
                DType.Bool => b[0] != 0 ? 1f : 0f,
                _ => throw new InvalidOperationException($"Internal error: unhandled dtype {e.DType}."),
            };
        }
        return new Tensor(data, e.Shape);
    }

    private static void WriteFloats(FileStream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> b = stackalloc byte[4];
        foreach (float v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(b, v);
            stream.Write(b);
        }
    }

    private static DType ParseDType(string name) => name switch
    {
        "F64" => DType.F64,
        "F32" => DType.F32,
        "F16" => DType.F16,
        "BF16" => DType.BF16,
        "I64" => DType.I64,
        "I32" => DType.I32,
        "I16" => DType.I16,
        "I8" => DType.I8,
        "U64" => DType.U64,
        "U32" => DType.U32,
        "U16" => DType.U16,
        "U8" => DType.U8,
        "BOOL" => DType.Bool,
        _ => DType.Unknown,
    };

    private static int DTypeSize(DType dtype) => dtype switch
    {
        DType.F64 or DType.I64 or DType.U64 => 8,
        DType.F32 or DType.I32 or DType.U32 => 4,
        DType.F16 or DType.BF16 or DType.I16 or DType.U16 => 2,
        _ => 1,
    };

    private static SafetensorsFormatException Fail(string path, string problem) => new(path, problem + ".", null);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }

    private enum DType
    {
        Unknown,
        F64,
        F32,
        F16,
        BF16,
        I64,
        I32,
        I16,
        I8,
        U64,
        U32,
        U16,
        U8,
        Bool,
    }

    private sealed record Entry(string Name, DType DType, int[] Shape, long Begin, long End);
}
