using System.Globalization;
using System.Text.Json;
using DeepMetric.Data;
using DeepMetric.Losses;
using DeepMetric.Samplers;
using DeepMetric.Search;
using DeepMetric.Tensors.Optim;
using DeepMetric.Training;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary>A tiny model trained once (1 epoch × 5 iterations on the shipped subset) for the embed/index/search/fewshot tests.</summary>
public sealed class TinyRunFixture : IDisposable
{
    public TinyRunFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("deepmetric-search-").FullName;
        var train = FashionMnist.Load(Subset).OpenSetSplit().Train;
        var model = Models.Mlp(embeddingSize: 16, seed: 3);
        var trainer = new Trainer(model, new TripletMarginLoss(margin: 0.2f), null, p => new Adam(p, lr: 1e-3f),
            new MPerClassSampler(train.Labels, m: 16, batchSize: 64, seed: 4))
        { IterationsPerEpoch = 5 };
        trainer.Fit(train, epochs: 1);
        WeightsPath = Path.Combine(Directory, "model.safetensors");
        model.Save(WeightsPath, new Dictionary<string, string> { ["model"] = "mlp", ["embedding_size"] = "16" });
    }

    public static string Subset { get; } = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset");

    public string Directory { get; }

    public string WeightsPath { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

public sealed class SearchCommandsTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    private string Embed(string split, string name)
    {
        var path = Path.Combine(run.Directory, name);
        var (code, output, err) = Run("embed", "--data-dir", TinyRunFixture.Subset, "--weights", run.WeightsPath, "--split", split, "--output", path);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("× 16 embeddings", output, StringComparison.Ordinal);
        return path;
    }

    [Fact]
    public void EmbedWritesIdsLabelsAndMetadata()
    {
        var path = Embed("open-set-test", "open.dme");
        using var store = EmbeddingStore.Open(path, verifyChecksum: true);
        var test = FashionMnist.Load(TinyRunFixture.Subset).Test;
        int expected = 0;
        for (int i = 0; i < test.Count; i++)
        {
            expected += test.Labels[i] >= 5 ? 1 : 0;
        }
        Assert.Equal(expected, store.Count);
        Assert.Equal(16, store.Dimension);
        Assert.Equal("l2", store.Metadata.Normalization);
        Assert.Equal(VectorMetric.L2, store.Metadata.Metric);
        Assert.Equal("mlp", store.Metadata.Properties["model_kind"]);
        Assert.EndsWith("model.safetensors", store.Metadata.Model, StringComparison.Ordinal);
        for (int row = 0; row < store.Count; row += 97)
        {
            // The id names the image's index in the test IDX file, and the label is that image's.
            string id = store.GetId(row);
            Assert.StartsWith("test/", id, StringComparison.Ordinal);
            int original = int.Parse(id["test/".Length..], CultureInfo.InvariantCulture);
            Assert.Equal(test.Labels[original], store.GetLabel(row));
            Assert.InRange(store.GetLabel(row), 5, 9);
            // L2-normalised vectors.
            double norm = 0;
            foreach (float v in store.GetVector(row))
            {
                norm += v * v;
            }
            Assert.Equal(1.0, Math.Sqrt(norm), 4);
        }
    }

    [Fact]
    public void EmbedIndexSearchRoundTrip()
    {
        var storePath = Embed("test", "test.dme");
        var flatPath = Path.Combine(run.Directory, "flat.idx");
        var hnswPath = Path.Combine(run.Directory, "hnsw.idx");
        Assert.Equal(0, Run("index", "--store", storePath, "--kind", "flat", "--output", flatPath).Code);
        var (code, output, err) = Run("index", "--store", storePath, "--kind", "hnsw", "--m", "8", "--ef-construction", "64", "--output", hnswPath);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("hnsw index of 2,000 × 16", output, StringComparison.Ordinal);

        // Table by id from the flat index: the item itself first at distance 0, distances non-decreasing.
        (code, output, err) = Run("search", "--index", flatPath, "--id", "test/000007", "--k", "5");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        var rows = output.Split('\n').Where(l => l.StartsWith("│", StringComparison.Ordinal) && !l.Contains("rank", StringComparison.Ordinal)).ToArray();
        Assert.Equal(5, rows.Length);
        var first = rows[0].Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["1", "test/000007"], first[..2]);
        Assert.Equal(0.0, double.Parse(first[3], CultureInfo.InvariantCulture), 3);

        // JSON for the whole store against both indexes: brute force agrees with the flat index, HNSW finds the same top-1.
        using var store = EmbeddingStore.Open(storePath);
        var (flatCode, flatJson, _) = Run("search", "--index", flatPath, "--store", storePath, "--k", "3", "--json");
        var (hnswCode, hnswJson, _) = Run("search", "--index", hnswPath, "--store", storePath, "--k", "3", "--json");
        Assert.Equal(0, flatCode);
        Assert.Equal(0, hnswCode);
        var flatLines = flatJson.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var hnswLines = hnswJson.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(store.Count, flatLines.Length);
        Assert.Equal(store.Count, hnswLines.Length);
        int agree = 0;
        for (int q = 0; q < store.Count; q += 50)
        {
            using var doc = JsonDocument.Parse(flatLines[q]);
            var neighbours = doc.RootElement.GetProperty("neighbors");
            Assert.Equal(store.GetId(q), doc.RootElement.GetProperty("query").GetString());
            Assert.Equal(3, neighbours.GetArrayLength());
            // Brute force in double: the third-nearest distance.
            var d = new double[store.Count];
            for (int j = 0; j < store.Count; j++)
            {
                double s = 0;
                for (int t = 0; t < 16; t++)
                {
                    double diff = store.GetVector(q)[t] - store.GetVector(j)[t];
                    s += diff * diff;
                }
                d[j] = Math.Sqrt(s);
            }
            Array.Sort(d);
            for (int r = 0; r < 3; r++)
            {
                Assert.Equal(d[r], neighbours[r].GetProperty("distance").GetDouble(), 3);
                int label = neighbours[r].GetProperty("label").GetInt32();
                Assert.Equal(store.GetLabel(Array.IndexOf(store.GetIds(), neighbours[r].GetProperty("id").GetString())), label);
            }
            using var hdoc = JsonDocument.Parse(hnswLines[q]);
            agree += hdoc.RootElement.GetProperty("neighbors")[0].GetProperty("id").GetString() == store.GetId(q) ? 1 : 0;
        }
        Assert.Equal(40, agree);
    }

    [Fact]
    public void BadArgumentsGiveOneLineErrors()
    {
        var storePath = Embed("open-set-test", "bad.dme");
        var hnswPath = Path.Combine(run.Directory, "bad-hnsw.idx");
        Assert.Equal(0, Run("index", "--store", storePath, "--output", hnswPath).Code);

        var (code, _, err) = Run("search", "--index", hnswPath, "--id", "test/000000");
        Assert.Equal(2, code);
        Assert.Contains("--id needs --store", err, StringComparison.Ordinal);
        (code, _, err) = Run("search", "--index", hnswPath, "--store", storePath, "--id", "nope");
        Assert.Equal(2, code);
        Assert.Contains("'nope' is neither an id nor a row number", err, StringComparison.Ordinal);
        (code, _, err) = Run("search", "--index", hnswPath);
        Assert.Equal(2, code);
        Assert.Contains("--id ID", err, StringComparison.Ordinal);
        (code, _, err) = Run("search", "--index", hnswPath, "--store", storePath, "--k", "0");
        Assert.Equal(2, code);
        (code, _, err) = Run("index", "--store", storePath, "--m", "1", "--output", hnswPath);
        Assert.Equal(2, code);
        Assert.Contains("--m", err, StringComparison.Ordinal);
        (code, _, err) = Run("embed", "--weights", Path.Combine(run.Directory, "missing.safetensors"), "--output", storePath);
        Assert.Equal(1, code);
        Assert.Contains("not found", err, StringComparison.Ordinal);
        (code, _, err) = Run("embed", "--data-dir", TinyRunFixture.Subset, "--weights", run.WeightsPath, "--embedding-size", "8", "--output", storePath);
        Assert.Equal(1, code);
        Assert.Contains("do not fit", err, StringComparison.Ordinal);
        (code, _, err) = Run("index", "--store", run.WeightsPath, "--output", hnswPath);
        Assert.Equal(1, code);
        Assert.Contains("not an embedding store", err, StringComparison.Ordinal);
    }
}

public sealed class FewShotCommandTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void PrintsLearnedAndRawAccuraciesWithIntervals()
    {
        var (code, output, err) = Run("fewshot", "--data-dir", TinyRunFixture.Subset, "--weights", run.WeightsPath, "--episodes", "40", "--seed", "3");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("5-way, 15 queries/class, 40 episodes", output, StringComparison.Ordinal);
        Assert.Contains("prototype", output, StringComparison.Ordinal);
        Assert.Contains("1-NN", output, StringComparison.Ordinal);

        var (jsonCode, json, jsonErr) = Run("fewshot", "--data-dir", TinyRunFixture.Subset, "--weights", run.WeightsPath, "--episodes", "40", "--seed", "3", "--json");
        Assert.Equal("", jsonErr);
        Assert.Equal(0, jsonCode);
        using var doc = JsonDocument.Parse(json);
        var results = doc.RootElement.GetProperty("results");
        Assert.Equal(4, results.GetArrayLength());   // shots 1 and 5 × prototype and kNN
        foreach (var r in results.EnumerateArray())
        {
            // Five classes: chance is 0.2; even raw pixels do better on Fashion-MNIST, and intervals are positive.
            Assert.InRange(r.GetProperty("accuracy").GetDouble(), 0.3, 1.0);
            Assert.InRange(r.GetProperty("raw_accuracy").GetDouble(), 0.3, 1.0);
            Assert.InRange(r.GetProperty("ci95").GetDouble(), 1e-6, 0.2);
        }
        // 1-shot: prototype and 1-NN are the same rule.
        Assert.Equal(results[0].GetProperty("accuracy").GetDouble(), results[1].GetProperty("accuracy").GetDouble());
        // More shots help the prototype classifier.
        Assert.True(results[2].GetProperty("accuracy").GetDouble() > results[0].GetProperty("accuracy").GetDouble());
        // The same seed prints the same numbers.
        Assert.Equal(json, Run("fewshot", "--data-dir", TinyRunFixture.Subset, "--weights", run.WeightsPath, "--episodes", "40", "--seed", "3", "--json").Out);
    }

    [Fact]
    public void BadSettingsAreUsageErrors()
    {
        Assert.Equal(2, Run("fewshot", "--data-dir", TinyRunFixture.Subset, "--weights", run.WeightsPath, "--shots", "1,x").Code);
        Assert.Equal(2, Run("fewshot", "--data-dir", TinyRunFixture.Subset, "--weights", run.WeightsPath, "--ways", "1").Code);
        var (code, _, err) = Run("fewshot", "--data-dir", TinyRunFixture.Subset, "--weights", run.WeightsPath, "--ways", "6");
        Assert.Equal(2, code);
        Assert.Contains("need 6 classes", err, StringComparison.Ordinal);
    }
}
