using System.Text.Json;
using DeepMetric.Calibration;
using DeepMetric.Search;
using DeepMetric.Training;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

public sealed class CalibrateDedupCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-cli-apps-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>1-d L2 store: points 0, 1, 3, 6 with labels 0, 0, 1, 1. Pairs: 1 (same), 2, 3, 3 (same), 5, 6.
    /// Curve: t=1 P 1 R ½ F1 ⅔; t=2 P ½ R ½; t=3 P ½ R 1 F1 ⅔; t=5 P ⅖; t=6 P ⅓.</summary>
    private string Store(string name = "emb.dmstore", float[]? v = null, int[]? labels = null, VectorMetric metric = VectorMetric.L2)
    {
        v ??= [0f, 1f, 3f, 6f];
        labels ??= [0, 0, 1, 1];
        string path = Path.Combine(_dir, name);
        EmbeddingStore.Write(path, v, 1, v.Select((_, i) => $"item{i}").ToArray(), labels, new EmbeddingMetadata("test-model", metric, "none"));
        return path;
    }

    [Fact]
    public void CalibrateBestF1WritesTheThresholdNextToTheStore()
    {
        string store = Store();
        var (code, output, err) = Run("calibrate", "--store", store);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("← chosen", output, StringComparison.Ordinal);
        var saved = CalibratedThreshold.Load(Path.Combine(_dir, "emb.threshold.json"));
        // F1 ties at ⅔ between 1 and 3: the smaller wins.
        Assert.Equal((1f, CalibrationMethod.BestF1, 2L, 4L, "test-model"), (saved.Threshold, saved.Method, saved.PositivePairs, saved.NegativePairs, saved.Model));
    }

    [Theory]
    [InlineData("0.5", 3f)]
    [InlineData("1", 1f)]
    public void CalibrateTargetPrecisionJson(string target, float expected)
    {
        string store = Store();
        string file = Path.Combine(_dir, "custom.json");
        var (code, output, err) = Run("calibrate", "--store", store, "--target-precision", target, "--output", file, "--json");
        Assert.Equal((0, ""), (code, err));
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(expected, doc.RootElement.GetProperty("threshold").GetSingle());
        Assert.Equal("TargetPrecision", doc.RootElement.GetProperty("method").GetString());
        Assert.Equal(expected, CalibratedThreshold.Load(file).Threshold);
    }

    [Fact]
    public void UnreachableTargetIsAOneLineFailure()
    {
        // Pairs (0,1)=1 different, (1,2)=1 different, (0,2)=2 same: precision is at most ⅓.
        string store = Store(v: [0f, 1f, 2f], labels: [0, 1, 0]);
        var (code, _, err) = Run("calibrate", "--store", store, "--target-precision", "0.5");
        Assert.Equal(1, code);
        AssertOneLineError(err, "no threshold reaches precision 0.5: the highest precision on these pairs is 0.3333");
        Assert.False(File.Exists(Path.Combine(_dir, "emb.threshold.json")));
    }

    [Theory]
    [InlineData(new[] { "calibrate" }, "exactly one input")]
    [InlineData(new[] { "calibrate", "--target-precision", "1.5", "--store", "x" }, "--target-precision must be in (0, 1]")]
    [InlineData(new[] { "calibrate", "--max-items", "1", "--store", "x" }, "--max-items must be at least 2")]
    [InlineData(new[] { "calibrate", "--pairs", "some", "--store", "x" }, "some")]
    [InlineData(new[] { "dedup", "--threshold", "1", "--calibration", "c.json", "--store", "x" }, "not both")]
    [InlineData(new[] { "dedup", "--index", "ivf", "--store", "x" }, "ivf")]
    [InlineData(new[] { "dedup", "--format", "xml", "--store", "x" }, "xml")]
    public void UsageErrors(string[] args, string expected)
    {
        var (code, _, err) = Run(args);
        Assert.Equal(2, code);
        AssertOneLineError(err, expected);
    }

    [Fact]
    public void MetricWithAStoreAndMissingFilesAreErrors()
    {
        string store = Store();
        var (code, _, err) = Run("calibrate", "--store", store, "--metric", "cosine");
        Assert.Equal(2, code);
        AssertOneLineError(err, "--metric applies to --weights only");
        (code, _, err) = Run("calibrate", "--store", Path.Combine(_dir, "none.dmstore"));
        Assert.Equal(1, code);
        AssertOneLineError(err, "none.dmstore");
        (code, _, err) = Run("dedup", "--store", store);
        Assert.Equal(2, code);
        AssertOneLineError(err, "run 'deepmetric calibrate' first");
    }

    [Fact]
    public void DedupCsvToStandardOutput()
    {
        // 0 and 0.05 are duplicates, 3 is alone, 6 and 6 exact copies.
        string store = Store(v: [0f, 0.05f, 3f, 6f, 6f], labels: [0, 0, 1, 1, 1]);
        var (code, output, err) = Run("dedup", "--store", store, "--threshold", "0.1");
        Assert.Equal(0, code);
        // The groups go to standard output; the threshold used is said on standard error.
        Assert.StartsWith("deepmetric: dedup: 5 items, threshold 0.1 (L2, from --threshold)", err, StringComparison.Ordinal);
        Assert.Equal(
            "group,representative,id,row,distance_to_representative\n" +
            "0,item0,item0,0,0\n" +
            "0,item0,item1,1,0.05\n" +
            "1,item3,item3,3,0\n" +
            "1,item3,item4,4,0\n",
            output);
    }

    [Theory]
    [InlineData("flat")]
    [InlineData("hnsw")]
    public void DedupUsesTheCalibratedThresholdAndWritesJson(string index)
    {
        string store = Store(v: [0f, 0.05f, 3f, 6f, 6f], labels: [0, 0, 1, 1, 1]);
        new CalibratedThreshold(0.1f, VectorMetric.L2, 1, 1, 1, CalibrationMethod.BestF1, null, 1, 1) { Kind = ThresholdKind.NearDuplicate }
            .Save(Path.Combine(_dir, "emb.threshold.json"));
        string file = Path.Combine(_dir, "groups.json");
        var (code, output, err) = Run("dedup", "--store", store, "--index", index, "--format", "json", "--output", file);
        Assert.Equal((0, ""), (code, err));
        Assert.Contains("2 groups, 2 redundant items (1 exact copies, 1 near pairs)", output, StringComparison.Ordinal);
        Assert.Contains("threshold 0.1 (L2, from near-duplicate threshold in ", output, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
        Assert.Equal(2, doc.RootElement.GetProperty("group_count").GetInt32());
        Assert.Equal(0.1f, doc.RootElement.GetProperty("threshold").GetSingle());
    }

    [Fact]
    public void DedupRejectsAThresholdForAnotherMetricAndACorruptFile()
    {
        string store = Store();
        string path = Path.Combine(_dir, "emb.threshold.json");
        new CalibratedThreshold(0.1f, VectorMetric.Cosine, 1, 1, 1, CalibrationMethod.BestF1, null, 1, 1).Save(path);
        var (code, _, err) = Run("dedup", "--store", store);
        Assert.Equal(2, code);
        AssertOneLineError(err, "for Cosine distances but the embeddings use L2");
        File.WriteAllText(path, "{\"format\":");
        (code, _, err) = Run("dedup", "--store", store);
        Assert.Equal(1, code);
        AssertOneLineError(err, "not a valid threshold file");
    }

    [Fact]
    public void CalibrateThenDedupWithModelWeights()
    {
        string weights = Path.Combine(_dir, "model.safetensors");
        Models.Mlp(8, seed: 1).Save(weights, new Dictionary<string, string> { ["model"] = "mlp", ["embedding_size"] = "8" });
        var (code, output, err) = Run("calibrate", "--weights", weights, "--data-dir", Subset, "--max-items", "100", "--json");
        Assert.Equal((0, ""), (code, err));
        Assert.True(File.Exists(Path.Combine(_dir, "model.threshold.json")), output);
        string groups = Path.Combine(_dir, "groups.csv");
        // calibrate measured class labels: a same-class threshold, which dedup refuses (it would merge whole classes) ...
        (code, _, err) = Run("dedup", "--weights", weights, "--data-dir", Subset, "--output", groups);
        Assert.Equal(2, code);
        AssertOneLineError(err, "same-class threshold", "--kind near-duplicate", "--allow-same-class");
        Assert.False(File.Exists(groups));
        // ... unless asked, with a warning.
        (code, output, err) = Run("dedup", "--weights", weights, "--data-dir", Subset, "--output", groups, "--allow-same-class");
        Assert.Equal(0, code);
        Assert.Contains("warning: using the same-class threshold", err, StringComparison.Ordinal);
        Assert.StartsWith("group,representative,id,row,distance_to_representative\n", File.ReadAllText(groups), StringComparison.Ordinal);
        Assert.Contains("test/", output + File.ReadAllText(groups), StringComparison.Ordinal);
    }

    [Fact]
    public void WeightsThatFitNoModelAreRejected()
    {
        // Weights without metadata are recognised from their tensor shapes (ModelLoader); a file holding no
        // model's tensors must still fail with a one-line error naming the file.
        string weights = Path.Combine(_dir, "not-a-model.safetensors");
        DeepMetric.Tensors.IO.Safetensors.Save(weights, new Dictionary<string, DeepMetric.Tensors.Tensor> { ["foo"] = DeepMetric.Tensors.Tensor.Zeros(3, 4) });
        var (code, _, err) = Run("calibrate", "--weights", weights, "--data-dir", Subset);
        Assert.Equal(1, code);
        AssertOneLineError(err, "not-a-model.safetensors");
    }

    [Theory]
    [InlineData("calibrate", "--target-precision", "--pairs", "--max-items", "--store", "--weights", "--output")]
    [InlineData("dedup", "--threshold", "--calibration", "--index", "--format", "--output", "--store")]
    public void HelpListsTheOptions(string command, params string[] options)
    {
        var (code, output, _) = Run(command, "--help");
        Assert.Equal(0, code);
        foreach (var o in options)
        {
            Assert.Contains(o, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ZeroNegativesPerPositiveIsRejected()
    {
        string store = Store();
        var (code, output, err) = Run("calibrate", "--store", store, "--pairs", "sampled", "--negatives-per-positive", "0");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        AssertOneLineError(err, "--negatives-per-positive must be at least 1");
        Assert.False(File.Exists(Path.Combine(_dir, "emb.threshold.json")));
    }

    [Theory]
    [InlineData(new string[0], "same-class")]
    [InlineData(new[] { "--kind", "near-duplicate" }, "near-duplicate")]
    public void CalibrateRecordsWhichKindOfThresholdItIs(string[] extra, string kind)
    {
        string store = Store();
        var (code, output, err) = Run(["calibrate", "--store", store, "--json", .. extra]);
        Assert.Equal((0, ""), (code, err));
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(kind, doc.RootElement.GetProperty("kind").GetString());
        string file = Path.Combine(_dir, "emb.threshold.json");
        using var saved = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal(kind, saved.RootElement.GetProperty("kind").GetString());
        Assert.Equal(kind == "near-duplicate" ? ThresholdKind.NearDuplicate : ThresholdKind.SameClass, CalibratedThreshold.Load(file).Kind);
    }

    [Fact]
    public void DedupRefusesASameClassThresholdIncludingOldFilesWithoutAKind()
    {
        string store = Store(v: [0f, 0.05f, 3f, 6f, 6f], labels: [0, 0, 1, 1, 1]);
        string path = Path.Combine(_dir, "emb.threshold.json");
        new CalibratedThreshold(0.1f, VectorMetric.L2, 1, 1, 1, CalibrationMethod.BestF1, null, 1, 1).Save(path);
        // An old file: the same without "kind".
        File.WriteAllLines(path, File.ReadAllLines(path).Where(l => !l.Contains("\"kind\"", StringComparison.Ordinal)));
        Assert.Equal(ThresholdKind.SameClass, CalibratedThreshold.Load(path).Kind);
        var (code, output, err) = Run("dedup", "--store", store);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        AssertOneLineError(err, "same-class threshold (0.1");
    }
}
