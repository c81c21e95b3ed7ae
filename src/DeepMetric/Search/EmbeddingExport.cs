using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

using DeepMetric.Internal;

namespace DeepMetric.Search;

/// <summary>
/// Exports embeddings in formats other tools ingest: the vectors as a NumPy <c>.npy</c> file (format version 1.0,
/// dtype <c>'&lt;f4'</c>, C order, shape <c>(count, dimension)</c>), and the ids and labels as JSON Lines, one
/// <c>{"row": i, "id": "…", "label": l}</c> object per line in row order. Both are written atomically.
/// Vector databases and FAISS load these directly (e.g. <c>numpy.load(path, mmap_mode="r")</c>); see docs/scaling.md.
/// </summary>
public static class EmbeddingExport
{
    private const int Alignment = 64;

    /// <summary>Writes <paramref name="store"/>'s vectors to <paramref name="npyPath"/> and its ids and labels to <paramref name="jsonlPath"/>, streaming in chunks.</summary>
    public static void Export(EmbeddingStore store, string npyPath, string jsonlPath)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(npyPath);
        ArgumentException.ThrowIfNullOrEmpty(jsonlPath);
        using (var file = new AtomicFile(npyPath))
        {
            WriteNpyHeader(file.Stream, store.Count, store.Dimension);
            int chunk = Math.Max(1, (1 << 22) / store.Dimension);
            for (int r = 0; r < store.Count; r += chunk)
            {
                file.Stream.Write(MemoryMarshal.AsBytes(store.GetVectors(r, Math.Min(chunk, store.Count - r))));
            }
            file.Commit();
        }
        using (var file = new AtomicFile(jsonlPath))
        {
            using (var w = new Utf8JsonWriter(file.Stream))
            {
                for (int r = 0; r < store.Count; r++)
                {
                    WriteRow(w, file.Stream, r, store.GetId(r), store.GetLabel(r));
                }
            }
            file.Commit();
        }
    }

    /// <summary>Writes <c>count × dimension</c> row-major float32 values as a version 1.0 <c>.npy</c> file.</summary>
    public static void WriteNpy(string path, ReadOnlySpan<float> vectors, int count, int dimension)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (vectors.Length != (long)count * dimension)
        {
            throw new ArgumentException($"Expected {count} × {dimension} = {(long)count * dimension} values, got {vectors.Length}.", nameof(vectors));
        }
        using var file = new AtomicFile(path);
        WriteNpyHeader(file.Stream, count, dimension);
        file.Stream.Write(MemoryMarshal.AsBytes(vectors));
        file.Commit();
    }

    /// <summary>Writes one JSON object per id: <c>{"row":i,"id":…,"label":…}</c> (labels empty: −1 for every row).</summary>
    public static void WriteJsonl(string path, IReadOnlyList<string> ids, ReadOnlySpan<int> labels = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(ids);
        if (!labels.IsEmpty && labels.Length != ids.Count)
        {
            throw new ArgumentException($"Expected no labels or {ids.Count} labels (one per id), got {labels.Length}.", nameof(labels));
        }
        using var file = new AtomicFile(path);
        using (var w = new Utf8JsonWriter(file.Stream))
        {
            for (int r = 0; r < ids.Count; r++)
            {
                WriteRow(w, file.Stream, r, ids[r] ?? throw new ArgumentException($"ids[{r}] is null.", nameof(ids)), labels.IsEmpty ? -1 : labels[r]);
            }
        }
        file.Commit();
    }

    /// <summary>
    /// The header of a version 1.0 <c>.npy</c> file: magic <c>\x93NUMPY</c>, version bytes 1 and 0, a little-endian uint16
    /// header length, then an ASCII Python dict literal padded with spaces and ended by '\n' so the data starts at a
    /// multiple of 64 bytes (as NumPy writes it).
    /// </summary>
    internal static void WriteNpyHeader(Stream stream, long count, int dimension)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The export writes little-endian float32 ('<f4') from memory and needs a little-endian machine.");
        }
        string dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({count}, {dimension}), }}");
        int unpadded = 10 + dict.Length + 1;
        int total = (unpadded + Alignment - 1) / Alignment * Alignment;
        int headerLength = total - 10;
        var header = new byte[total];
        header[0] = 0x93;
        "NUMPY"u8.CopyTo(header.AsSpan(1));
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), checked((ushort)headerLength));
        Encoding.ASCII.GetBytes(dict, header.AsSpan(10));
        header.AsSpan(10 + dict.Length, headerLength - dict.Length - 1).Fill((byte)' ');
        header[^1] = (byte)'\n';
        stream.Write(header);
    }

    private static void WriteRow(Utf8JsonWriter w, Stream stream, int row, string id, int label)
    {
        w.Reset(stream);
        w.WriteStartObject();
        w.WriteNumber("row", row);
        w.WriteString("id", id);
        w.WriteNumber("label", label);
        w.WriteEndObject();
        w.Flush();
        stream.WriteByte((byte)'\n');
    }
}
