using DeepMetric.Search;
using DeepMetric.Tests.Data;

namespace DeepMetric.Tests.Search;

public sealed class EmbeddingStoreTests
{
    private static readonly EmbeddingMetadata Meta = new("resnet-test", VectorMetric.Cosine, "l2")
    {
        Properties = new Dictionary<string, string> { ["dataset"] = "fashion-mnist", ["épocas"] = "12" },
    };

    private static string WriteSample(TempDir dir, int rows = 5, int dim = 3)
    {
        var vectors = Enumerable.Range(0, rows * dim).Select(i => i * 0.5f - 1f).ToArray();
        var ids = Enumerable.Range(0, rows).Select(i => $"id-{i}-ü").ToArray();
        var labels = Enumerable.Range(0, rows).Select(i => i * 10).ToArray();
        string path = dir.File("store.dmes");
        EmbeddingStore.Write(path, vectors, dim, ids, labels, Meta);
        return path;
    }

    [Fact]
    public void RoundTrip_ReadsBackEverything()
    {
        using var dir = new TempDir();
        string path = WriteSample(dir);
        using var store = EmbeddingStore.Open(path, verifyChecksum: true);
        Assert.Equal(5, store.Count);
        Assert.Equal(3, store.Dimension);
        Assert.Equal(new[] { 3.5f, 4f, 4.5f }, store.GetVector(3).ToArray());
        Assert.Equal(Enumerable.Range(0, 15).Select(i => i * 0.5f - 1f), store.Vectors.ToArray());
        Assert.Equal(new[] { 0, 10, 20, 30, 40 }, store.Labels.ToArray());
        Assert.Equal(30, store.GetLabel(3));
        Assert.Equal("id-4-ü", store.GetId(4));
        Assert.Equal("resnet-test", store.Metadata.Model);
        Assert.Equal(VectorMetric.Cosine, store.Metadata.Metric);
        Assert.Equal("l2", store.Metadata.Normalization);
        Assert.Equal("fashion-mnist", store.Metadata.Properties["dataset"]);
        Assert.Equal("12", store.Metadata.Properties["épocas"]);
        Assert.Equal(2, store.Metadata.Properties.Count);
        store.VerifyChecksum();
    }

    [Fact]
    public void EmptyStoreAndNoLabels_RoundTrip()
    {
        using var dir = new TempDir();
        string empty = dir.File("empty.dmes");
        EmbeddingStore.Write(empty, [], 7, [], [], new EmbeddingMetadata("", VectorMetric.L2, "none"));
        using (var store = EmbeddingStore.Open(empty, verifyChecksum: true))
        {
            Assert.Equal(0, store.Count);
            Assert.Equal(7, store.Dimension);
            Assert.True(store.Vectors.IsEmpty);
        }
        string one = dir.File("one.dmes");
        EmbeddingStore.Write(one, [1f, 2f], 2, ["only"], [], new EmbeddingMetadata("", VectorMetric.InnerProduct, "none"));
        using var single = EmbeddingStore.Open(one, verifyChecksum: true);
        Assert.Equal(-1, single.GetLabel(0));
        Assert.Equal("only", single.GetId(0));
        Assert.Equal(VectorMetric.InnerProduct, single.Metadata.Metric);
    }

    [Fact]
    public void FlippedPayloadByte_FailsChecksum()
    {
        using var dir = new TempDir();
        string path = WriteSample(dir);
        var bytes = File.ReadAllBytes(path);
        bytes[200] ^= 0x10; // inside the vectors (they start at offset 128)
        File.WriteAllBytes(path, bytes);
        // Opening without verification is lazy and succeeds; verification names the file and the problem.
        using (var store = EmbeddingStore.Open(path))
        {
            var ex = Assert.Throws<InvalidDataException>(store.VerifyChecksum);
            Assert.Contains("checksum mismatch", ex.Message, StringComparison.Ordinal);
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }
        Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(path, verifyChecksum: true));
        Assert.Throws<InvalidDataException>(() => FlatIndex.Load(path));
        // The last byte (metadata) is covered too.
        bytes[200] ^= 0x10;
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(path, verifyChecksum: true));
    }

    [Fact]
    public void FlippedHeaderByte_FailsOnOpen()
    {
        using var dir = new TempDir();
        string path = WriteSample(dir);
        var bytes = File.ReadAllBytes(path);
        bytes[24] ^= 0x01; // the dimension
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(path));
        Assert.Contains("header checksum", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_FailsOnOpen()
    {
        using var dir = new TempDir();
        string path = WriteSample(dir);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        var ex = Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(path));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, bytes[..50]);
        ex = Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(path));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, []);
        Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(path));
        File.WriteAllBytes(path, [.. bytes, 0]);
        ex = Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(path));
        Assert.Contains("trailing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongMagicOrVersion_FailsOnOpen()
    {
        using var dir = new TempDir();
        string path = WriteSample(dir);
        var bytes = File.ReadAllBytes(path);
        var wrongMagic = (byte[])bytes.Clone();
        wrongMagic[0] = (byte)'X';
        File.WriteAllBytes(path, wrongMagic);
        var ex = Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(path));
        Assert.Contains("magic", ex.Message, StringComparison.Ordinal);
        var wrongVersion = (byte[])bytes.Clone();
        wrongVersion[8] = 2;
        File.WriteAllBytes(path, wrongVersion);
        ex = Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(path));
        Assert.Contains("version 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_IsAtomicAndLeavesNoTempFile()
    {
        using var dir = new TempDir();
        string path = WriteSample(dir);
        // Overwriting while a reader has the old file mapped: the reader keeps the old contents.
        using var old = EmbeddingStore.Open(path);
        EmbeddingStore.Write(path, [9f, 9f, 9f], 3, ["new"], [1], Meta);
        Assert.Equal(new[] { Path.GetFileName(path) }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        Assert.Equal("id-0-ü", old.GetId(0));
        using var fresh = EmbeddingStore.Open(path, verifyChecksum: true);
        Assert.Equal("new", fresh.GetId(0));
        // A failed write (bad argument found while writing) leaves the old file and no temp file.
        Assert.Throws<ArgumentException>(() => EmbeddingStore.Write(path, [1f], 1, ["a"], [], Meta with { Properties = new Dictionary<string, string> { ["model"] = "x" } }));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        using var dir = new TempDir();
        string path = dir.File("x.dmes");
        Assert.Throws<ArgumentException>(() => EmbeddingStore.Write(path, [1f, 2f, 3f], 2, ["a"], [], Meta));
        Assert.Throws<ArgumentException>(() => EmbeddingStore.Write(path, [1f, 2f], 2, ["a"], [1, 2], Meta));
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingStore.Write(path, [], 0, [], [], Meta));
        Assert.Throws<FileNotFoundException>(() => EmbeddingStore.Open(dir.File("missing.dmes")));
        string ok = WriteSample(dir);
        using var store = EmbeddingStore.Open(ok);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.GetVectors(4, 2).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.GetId(5));
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.GetVector(0).Length);
    }
}
