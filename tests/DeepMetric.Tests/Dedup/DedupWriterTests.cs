using System.Text;
using System.Text.Json;
using DeepMetric.Dedup;
using DeepMetric.Search;

namespace DeepMetric.Tests.Dedup;

public sealed class DedupWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-dedupw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DedupResult Sample() => new(
        [
            new DuplicateGroup([0, 4], ["a", "b,\"x\""], [0f, 0.25f]),
            new DuplicateGroup([2, 3, 5], ["c", "d", "e"], [0f, 0f, 0.1f]),
        ],
        ItemCount: 7, Threshold: 0.3f, Metric: VectorMetric.L2, IndexKind: VectorIndexKind.Flat, ExactCopies: 1, NearPairs: 2);

    [Fact]
    public void CsvContent()
    {
        string path = Path.Combine(_dir, "d.csv");
        DedupWriter.WriteCsv(Sample(), path);
        Assert.Equal(
            "group,representative,id,row,distance_to_representative\n" +
            "0,a,a,0,0\n" +
            "0,a,\"b,\"\"x\"\"\",4,0.25\n" +
            "1,c,c,2,0\n" +
            "1,c,d,3,0\n" +
            "1,c,e,5,0.1\n",
            File.ReadAllText(path, Encoding.UTF8));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void JsonContent()
    {
        string path = Path.Combine(_dir, "d.json");
        DedupWriter.WriteJson(Sample(), path);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        Assert.Equal(7, root.GetProperty("items").GetInt32());
        Assert.Equal(0.3f, root.GetProperty("threshold").GetSingle());
        Assert.Equal("L2", root.GetProperty("metric").GetString());
        Assert.Equal("Flat", root.GetProperty("index").GetString());
        Assert.Equal(1, root.GetProperty("exact_copies").GetInt32());
        Assert.Equal(2, root.GetProperty("near_pairs").GetInt64());
        Assert.Equal(2, root.GetProperty("group_count").GetInt32());
        Assert.Equal(3, root.GetProperty("redundant_items").GetInt32());
        var groups = root.GetProperty("groups");
        Assert.Equal(2, groups.GetArrayLength());
        Assert.Equal("a", groups[0].GetProperty("representative").GetString());
        Assert.Equal(2, groups[0].GetProperty("size").GetInt32());
        var member = groups[0].GetProperty("members")[1];
        Assert.Equal(("b,\"x\"", 4, 0.25f), (member.GetProperty("id").GetString(), member.GetProperty("row").GetInt32(), member.GetProperty("distance").GetSingle()));
        Assert.Equal(["c", "d", "e"], groups[1].GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public void EmptyResult()
    {
        var empty = new DedupResult([], 3, 1f, VectorMetric.Cosine, VectorIndexKind.Hnsw, 0, 0);
        string csv = Path.Combine(_dir, "e.csv");
        DedupWriter.WriteCsv(empty, csv);
        Assert.Equal(DedupWriter.CsvHeader + "\n", File.ReadAllText(csv));
        string json = Path.Combine(_dir, "e.json");
        DedupWriter.WriteJson(empty, json);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
        Assert.Equal(0, doc.RootElement.GetProperty("groups").GetArrayLength());
    }

    [Fact]
    public void MissingDirectoryFailsWithoutLeavingFiles() =>
        Assert.ThrowsAny<IOException>(() => DedupWriter.WriteCsv(Sample(), Path.Combine(_dir, "no", "d.csv")));
}
