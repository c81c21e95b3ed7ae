using System.Text.Json;
using DeepMetric.Search;
using DeepMetric.Training;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary>Stores are verified before use; ids and row numbers are visible and accepted; every model kind embeds.</summary>
public sealed class StoreAndSearchTrustTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-trust-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Store(string name, string[] ids)
    {
        string path = Path.Combine(_dir, name);
        var v = new float[ids.Length * 2];
        for (int i = 0; i < ids.Length; i++)
        {
            v[2 * i] = i;
            v[(2 * i) + 1] = -i;
        }
        EmbeddingStore.Write(path, v, 2, ids, Enumerable.Range(0, ids.Length).ToArray(), new EmbeddingMetadata("m", VectorMetric.L2, "none"));
        return path;
    }

    private static void FlipByte(string path, long offset)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = offset;
        int b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)(b ^ 0x40));
    }

    [Fact]
    public void SearchWithAFlippedByteInTheQueryStoreFailsNamingTheFile()
    {
        string index = Store("index.dme", ["a", "b", "c", "d"]);
        string queries = Store("queries.dme", ["q0", "q1"]);
        FlipByte(queries, 128 + 3);   // the exponent byte of the first vector value

        var (code, output, err) = Run("search", "--index", index, "--store", queries);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        AssertOneLineError(err, queries, "checksum mismatch");

        // --json: a JSON error object on standard output, not a serializer message.
        (code, output, err) = Run("search", "--index", index, "--store", queries, "--json");
        Assert.Equal(1, code);
        AssertOneLineError(err, queries);
        using var doc = JsonDocument.Parse(output);
        var e = doc.RootElement.GetProperty("error");
        Assert.Contains("checksum mismatch", e.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, e.GetProperty("exit_code").GetInt32());
        Assert.Equal("failure", e.GetProperty("kind").GetString());
    }

    [Fact]
    public void UsageErrorsWithJsonAreJsonObjectsToo()
    {
        string index = Store("index.dme", ["a", "b"]);
        var (code, output, _) = Run("search", "--index", index, "--id", "zzz", "--json");
        Assert.Equal(2, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("usage", doc.RootElement.GetProperty("error").GetProperty("kind").GetString());
    }

    [Fact]
    public void AStoreWithANonFiniteVectorIsNeverWritten()
    {
        string path = Path.Combine(_dir, "nan.dme");
        var e = Assert.Throws<ArgumentException>(() =>
            EmbeddingStore.Write(path, [1f, 2f, float.NaN, 4f], 2, ["x", "y"], [], new EmbeddingMetadata("m", VectorMetric.L2, "none")));
        Assert.Contains("row 1 ('y')", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void SearchAcceptsRowNumbersButAnIdWins()
    {
        string index = Store("index.dme", ["10", "0", "x"]);
        var (code, output, err) = Run("search", "--index", index, "--id", "2", "-k", "1", "--json");
        Assert.Equal((0, ""), (code, err));
        Assert.Equal("x", JsonDocument.Parse(output).RootElement.GetProperty("query").GetString());
        // "0" is an id (row 1), so it is not read as row 0.
        (code, output, _) = Run("search", "--index", index, "--id", "0", "-k", "1", "--json");
        Assert.Equal(0, code);
        Assert.Equal(1, JsonDocument.Parse(output).RootElement.GetProperty("label").GetInt32());
        (code, _, err) = Run("search", "--index", index, "--id", "3");
        Assert.Equal(2, code);
        AssertOneLineError(err, "neither an id nor a row number (0-2)", "deepmetric store");
    }

    [Fact]
    public void StoreListsRowsIdsAndLabelsAndVerifiesTheChecksum()
    {
        string path = Store("s.dme", ["test/000000", "test/000001", "test/000002"]);
        var (code, output, err) = Run("store", path, "--limit", "2");
        Assert.Equal((0, ""), (code, err));
        Assert.Contains("3 × 2 embeddings, metric L2", output, StringComparison.Ordinal);
        Assert.Contains("checksum OK", output, StringComparison.Ordinal);
        Assert.Contains("test/000001", output, StringComparison.Ordinal);
        Assert.DoesNotContain("test/000002", output, StringComparison.Ordinal);
        Assert.Contains("rows 0-1 of 3", output, StringComparison.Ordinal);

        (code, output, _) = Run("store", path, "--offset", "1", "--limit", "0", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var items = doc.RootElement.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("row").GetInt32(), i.GetProperty("id").GetString())).ToArray();
        Assert.Equal([(1, "test/000001"), (2, "test/000002")], items);

        FlipByte(path, new FileInfo(path).Length - 2);
        (code, _, err) = Run("store", path);
        Assert.Equal(1, code);
        AssertOneLineError(err, path, "checksum mismatch");
    }

    [Theory]
    [InlineData(ModelLoader.ResNet)]
    [InlineData(ModelLoader.PixelResidual)]
    public void EmbedAndFewShotAcceptEveryModelKind(string kind)
    {
        string weights = Path.Combine(_dir, kind + ".safetensors");
        ModelLoader.Create(kind, 8, 1, 28, 28, seed: 1).Save(weights, ModelLoader.Metadata(kind, 8, 1, 28, 28));
        string output = Path.Combine(_dir, kind + ".dme");
        var (code, _, err) = Run("embed", "--data-dir", Subset, "--weights", weights, "--model", kind, "--split", "open-set-test", "--output", output);
        Assert.Equal((0, ""), (code, err));
        using (var store = EmbeddingStore.Open(output, verifyChecksum: true))
        {
            Assert.Equal(8, store.Dimension);
        }
        (code, _, err) = Run("fewshot", "--data-dir", Subset, "--weights", weights, "--model", kind, "--episodes", "3", "--shots", "1", "--queries", "2", "--json");
        Assert.Equal((0, ""), (code, err));
    }
}
