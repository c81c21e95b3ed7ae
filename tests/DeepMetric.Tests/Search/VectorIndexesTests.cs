using DeepMetric.Search;
using DeepMetric.Tests.Data;

namespace DeepMetric.Tests.Search;

public sealed class VectorIndexesTests
{
    [Theory]
    [InlineData(VectorIndexKind.Flat)]
    [InlineData(VectorIndexKind.Hnsw)]
    public void CreateSaveLoad_SwitchesWithOneOption(VectorIndexKind kind)
    {
        using var dir = new TempDir();
        var data = SearchTestData.Gaussian(100, 5, 31);
        IVectorIndex index = VectorIndexes.Create(kind, 5, VectorMetric.L2);
        Assert.IsType(kind == VectorIndexKind.Flat ? typeof(FlatIndex) : typeof(HnswIndex), index);
        index.Add(SearchTestData.Ids(100), data);
        string path = dir.File("index.bin");
        index.Save(path);
        var loaded = VectorIndexes.Load(path);
        Assert.IsType(index.GetType(), loaded);
        var q = data.AsSpan(10 * 5, 5);
        Assert.Equal("item10", loaded.Search(q, 1)[0].Id);
        Assert.Equal(index.Search(q, 5).Select(h => h.Id), loaded.Search(q, 5).Select(h => h.Id));
    }

    [Fact]
    public void Build_FromStore_UsesItsMetricAndLabels()
    {
        using var dir = new TempDir();
        string path = dir.File("s.dmes");
        EmbeddingStore.Write(path, [1f, 0f, 0f, 1f, -1f, 0f], 2, ["x", "y", "z"], [3, 4, 5], new EmbeddingMetadata("m", VectorMetric.Cosine, "l2"));
        using var store = EmbeddingStore.Open(path, verifyChecksum: true);
        var index = VectorIndexes.Build(VectorIndexKind.Hnsw, store);
        Assert.Equal(VectorMetric.Cosine, index.Metric);
        var hit = index.Search([5f, 0.1f], 1)[0];
        Assert.Equal(("x", 3), (hit.Id, hit.Label));
    }

    [Fact]
    public void Load_UnknownOrShortFile_Throws()
    {
        using var dir = new TempDir();
        string path = dir.File("junk.bin");
        File.WriteAllBytes(path, "NOTANIDX-----"u8.ToArray());
        Assert.Contains("unknown magic", Assert.Throws<InvalidDataException>(() => VectorIndexes.Load(path)).Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, [1, 2]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => VectorIndexes.Load(path)).Message, StringComparison.Ordinal);
    }
}
