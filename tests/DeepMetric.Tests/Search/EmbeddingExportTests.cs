using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using DeepMetric.Search;

namespace DeepMetric.Tests.Search;

public sealed class EmbeddingExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Parses a .npy v1 file by the NumPy format spec: magic, version, header length, dict; returns dict and data.</summary>
    private static (string Header, float[] Data) ParseNpy(byte[] bytes)
    {
        Assert.Equal(0x93, bytes[0]);
        Assert.Equal("NUMPY", Encoding.ASCII.GetString(bytes, 1, 5));
        Assert.Equal((1, 0), (bytes[6], bytes[7]));
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        int dataStart = 10 + headerLength;
        Assert.Equal(0, dataStart % 64);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.EndsWith("\n", header, StringComparison.Ordinal);
        return (header.TrimEnd('\n', ' '), MemoryMarshal.Cast<byte, float>(bytes.AsSpan(dataStart)).ToArray());
    }

    [Fact]
    public void NpyHeaderAndDataParseBack()
    {
        float[] v = [1f, -2.5f, 3f, float.Epsilon, 0f, 1e30f];
        string path = Path.Combine(_dir, "v.npy");
        EmbeddingExport.WriteNpy(path, v, 3, 2);
        var (header, data) = ParseNpy(File.ReadAllBytes(path));
        Assert.Equal("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", header);
        Assert.Equal(v, data);
    }

    [Fact]
    public void EmptyNpy()
    {
        string path = Path.Combine(_dir, "e.npy");
        EmbeddingExport.WriteNpy(path, [], 0, 4);
        var (header, data) = ParseNpy(File.ReadAllBytes(path));
        Assert.Contains("'shape': (0, 4)", header, StringComparison.Ordinal);
        Assert.Empty(data);
    }

    [Fact]
    public void StoreExportWritesVectorsAndJsonl()
    {
        string store = Path.Combine(_dir, "s.dmstore");
        var v = SearchTestData.Gaussian(5, 3, 1);
        EmbeddingStore.Write(store, v, 3, ["a", "b\"q", "ç", "d", "e"], [0, 1, 2, -1, 4], new EmbeddingMetadata("m", VectorMetric.L2, "none"));
        using var s = EmbeddingStore.Open(store);
        string npy = Path.Combine(_dir, "s.npy");
        string jsonl = Path.Combine(_dir, "s.jsonl");
        EmbeddingExport.Export(s, npy, jsonl);
        var (header, data) = ParseNpy(File.ReadAllBytes(npy));
        Assert.Contains("'shape': (5, 3)", header, StringComparison.Ordinal);
        Assert.Equal(v, data);
        var lines = File.ReadAllLines(jsonl);
        Assert.Equal(5, lines.Length);
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal((1, "b\"q", 1), (second.RootElement.GetProperty("row").GetInt32(), second.RootElement.GetProperty("id").GetString(), second.RootElement.GetProperty("label").GetInt32()));
        using var third = JsonDocument.Parse(lines[2]);
        Assert.Equal("ç", third.RootElement.GetProperty("id").GetString());
        using var fourth = JsonDocument.Parse(lines[3]);
        Assert.Equal(-1, fourth.RootElement.GetProperty("label").GetInt32());
    }

    [Fact]
    public void JsonlWithoutLabels()
    {
        string path = Path.Combine(_dir, "ids.jsonl");
        EmbeddingExport.WriteJsonl(path, ["x", "y"]);
        Assert.Equal(["{\"row\":0,\"id\":\"x\",\"label\":-1}", "{\"row\":1,\"id\":\"y\",\"label\":-1}"], File.ReadAllLines(path));
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Throws<ArgumentException>("vectors", () => EmbeddingExport.WriteNpy(Path.Combine(_dir, "x.npy"), [1f], 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>("dimension", () => EmbeddingExport.WriteNpy(Path.Combine(_dir, "x.npy"), [], 0, 0));
        Assert.Throws<ArgumentException>("labels", () => EmbeddingExport.WriteJsonl(Path.Combine(_dir, "x.jsonl"), ["a"], [1, 2]));
    }
}
