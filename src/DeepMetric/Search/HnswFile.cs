using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using DeepMetric.Internal;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Search;

/// <summary>
/// The HNSW index file: a 32-byte header (magic "DMHNSWIX", version, payload length, XXH3-64 of the payload) and a
/// little-endian payload: dimension, metric, M, efConstruction, efSearch, keep-pruned flag, seed, the level generator's
/// state (<see cref="PrngState.ByteLength"/> bytes), node count, entry point, top level, then per node the vectors,
/// labels, levels, deletion flags, layer-0 links, upper links (nodes with level &gt; 0) and UTF-8 ids.
/// </summary>
/// <remarks>
/// Written atomically. Reading verifies, in order, the header, the length (truncation), the checksum (any flipped
/// byte) and then the contents (options, generator state, levels and every link), and names the file in each error.
/// </remarks>
internal static class HnswFile
{
    /// <summary>The format version written and read.</summary>
    public const int Version = 1;

    private const int HeaderSize = 32;

    private static ReadOnlySpan<byte> Magic => "DMHNSWIX"u8;

    /// <summary>Writes <paramref name="index"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, HnswIndex index)
    {
        var graph = index.Graph;
        var options = index.Options;
        using var file = new AtomicFile(path);
        var stream = file.Stream;
        stream.Write(new byte[HeaderSize]);
        var w = new HashingWriter(stream);
        w.WriteInt32(index.Dimension);
        w.WriteInt32((int)index.Metric);
        w.WriteInt32(options.M);
        w.WriteInt32(options.EfConstruction);
        w.WriteInt32(index.EfSearch);
        w.WriteInt32(options.KeepPrunedConnections ? 1 : 0);
        w.WriteInt64((long)options.Seed);
        Span<byte> state = stackalloc byte[PrngState.ByteLength];
        graph.Rng.GetState().WriteTo(state);
        w.Write(state);
        int nodes = graph.NodeCount;
        w.WriteInt32(nodes);
        w.WriteInt32(graph.Entry);
        w.WriteInt32(graph.TopLevel);
        w.Write(graph.Vectors);
        var labels = new int[nodes];
        for (int i = 0; i < nodes; i++)
        {
            labels[i] = index.NodeLabels[i];
        }
        w.Write(labels);
        w.Write(graph.Levels);
        w.Write(MemoryMarshal.AsBytes(graph.Deleted));
        w.Write(graph.Links0);
        for (int i = 0; i < nodes; i++)
        {
            if (graph.Levels[i] > 0)
            {
                w.Write(graph.UpperLinks(i));
            }
        }
        for (int i = 0; i < nodes; i++)
        {
            w.WriteString(index.NodeIds[i]);
        }
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), w.Written);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), w.Checksum);
        stream.Position = 0;
        stream.Write(header);
        file.Commit();
    }

    /// <summary>Reads and verifies an index file.</summary>
    /// <exception cref="InvalidDataException">Wrong magic or version, truncated, corrupt or inconsistent file.</exception>
    public static HnswIndex Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        SearchIO.Check(bytes.Length >= HeaderSize, path, $"file is truncated ({bytes.Length} bytes, shorter than the {HeaderSize}-byte header).");
        SearchIO.Check(bytes.AsSpan(0, 8).SequenceEqual(Magic), path, "not an HNSW index (wrong magic bytes).");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        SearchIO.Check(version == Version, path, $"HNSW index format version {version} is not supported (this library reads version {Version}).");
        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16));
        SearchIO.Check(payloadLength == bytes.Length - HeaderSize, path, payloadLength > bytes.Length - HeaderSize
            ? $"file is truncated ({bytes.Length} bytes, the header says {payloadLength + HeaderSize})."
            : "file has unexpected trailing bytes.");
        var payload = bytes.AsSpan(HeaderSize);
        SearchIO.Check(XxHash3.HashToUInt64(payload) == BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24)), path, "checksum mismatch (the file is corrupt).");
        try
        {
            return ReadPayload(path, payload);
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or OverflowException or InvalidDataException)
        {
            throw new InvalidDataException($"'{path}': inconsistent HNSW index ({ex.Message}).", ex);
        }
    }

    private static HnswIndex ReadPayload(string path, ReadOnlySpan<byte> payload)
    {
        int p = 0;
        int ReadInt(ReadOnlySpan<byte> s) { int v = BinaryPrimitives.ReadInt32LittleEndian(s[p..]); p += 4; return v; }
        long ReadLong(ReadOnlySpan<byte> s) { long v = BinaryPrimitives.ReadInt64LittleEndian(s[p..]); p += 8; return v; }
        int dim = ReadInt(payload);
        var metric = (VectorMetric)ReadInt(payload);
        int m = ReadInt(payload);
        int efC = ReadInt(payload);
        int efS = ReadInt(payload);
        bool keep = ReadInt(payload) != 0;
        ulong seed = (ulong)ReadLong(payload);
        var state = PrngState.ReadFrom(payload.Slice(p, PrngState.ByteLength));
        p += PrngState.ByteLength;
        var index = new HnswIndex(dim, metric, new HnswOptions(m, efC, efS, seed, keep)) { EfSearch = efS };
        index.Graph.Rng.SetState(state);
        int nodes = ReadInt(payload);
        int entry = ReadInt(payload);
        int top = ReadInt(payload);
        SearchIO.Check(nodes >= 0, path, $"invalid node count {nodes}.");
        var vectors = MemoryMarshal.Cast<byte, float>(payload.Slice(p, checked(nodes * dim * 4)));
        p += nodes * dim * 4;
        var labels = MemoryMarshal.Cast<byte, int>(payload.Slice(p, checked(nodes * 4)));
        p += nodes * 4;
        var levels = MemoryMarshal.Cast<byte, int>(payload.Slice(p, nodes * 4));
        p += nodes * 4;
        var deleted = new bool[nodes];
        for (int i = 0; i < nodes; i++)
        {
            deleted[i] = payload[p + i] != 0;
        }
        p += nodes;
        int stride0 = index.Graph.Stride0;
        var links0 = MemoryMarshal.Cast<byte, int>(payload.Slice(p, checked(nodes * stride0 * 4)));
        p += nodes * stride0 * 4;
        var upper = new int[]?[nodes];
        for (int i = 0; i < nodes; i++)
        {
            int level = levels[i];
            SearchIO.Check(level >= 0 && level <= HnswGraph.MaxLevel, path, $"node {i} has invalid level {level}.");
            if (level > 0)
            {
                upper[i] = MemoryMarshal.Cast<byte, int>(payload.Slice(p, checked(level * (m + 1) * 4))).ToArray();
                p += upper[i]!.Length * 4;
            }
        }
        var ids = new string[nodes];
        for (int i = 0; i < nodes; i++)
        {
            int length = ReadInt(payload);
            ids[i] = Encoding.UTF8.GetString(payload.Slice(p, length));
            p += length;
        }
        SearchIO.Check(p == payload.Length, path, "payload length does not match its contents.");
        string? problem = index.Restore(nodes, entry, top, vectors, levels, deleted, links0, upper, ids, labels);
        SearchIO.Check(problem is null, path, problem ?? "");
        return index;
    }
}
