using System.Text.Json;
using DeepMetric.Data.Glyphs;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary>The glyph set as default data, the protocols, and <c>data glyphs</c>.</summary>
public sealed class GlyphCommandTests
{
    private static string Shipped => Path.Combine(AppContext.BaseDirectory, "data", "glyphs");

    [Fact]
    public void TrainWithoutDataOptionsUsesTheShippedGlyphSetAndReportsAllThreeColumns()
    {
        var (code, output, err) = Run("train", "--epochs", "1", "--iterations-per-epoch", "2", "--embedding-size", "16");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("glyph set", output, StringComparison.Ordinal);
        Assert.Contains("cnn (", output, StringComparison.Ordinal);
        Assert.Contains("loss ms, miner ms, batch 128 (32 classes × 4)", output, StringComparison.Ordinal);
        Assert.Contains("│ metric      │ raw pixels │ untrained │ trained │", output, StringComparison.Ordinal);
        Assert.Contains("on characters never seen in training (from scripts never seen): MAP@R", output, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonHasTheBaselinesOfTheProtocolUsed()
    {
        var (code, output, err) = Run("train", "--data-dir", Shipped, "--epochs", "1", "--iterations-per-epoch", "1", "--model", "mlp", "--json");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("glyphs", root.GetProperty("data").GetString());
        foreach (var key in new[] { "map_at_r", "untrained_map_at_r", "raw_pixels_map_at_r", "precision_at_1", "untrained_precision_at_1", "raw_pixels_precision_at_1" })
        {
            Assert.InRange(root.GetProperty(key).GetDouble(), 0, 1);
        }
        // The raw-pixel baseline of the shipped set, as PyTorch + PML's AccuracyCalculator computes it on the same
        // arrays (bench/reference/bench_pml.py --data glyphs: P@1 0.6530, MAP@R 0.1740).
        Assert.Equal(0.6530, root.GetProperty("raw_pixels_precision_at_1").GetDouble(), 0.00006);
        Assert.Equal(0.1740, root.GetProperty("raw_pixels_map_at_r").GetDouble(), 0.00006);
    }

    [Fact]
    public void FashionMnistClosedSetTrainsAndTestsOnAllTenClasses()
    {
        var (code, output, err) = Run("train", "--data", "fashion-mnist", "--data-dir", Subset, "--protocol", "closed-set", "--epochs", "1", "--iterations-per-epoch", "1", "--json");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.StartsWith("closed-set", doc.RootElement.GetProperty("split").GetString(), StringComparison.Ordinal);
        Assert.Equal(2000, doc.RootElement.GetProperty("queries").GetInt32()); // the subset's 200 test images × 10 classes
        (code, output, err) = Run("train", "--data-dir", Subset, "--protocol", "open-set", "--epochs", "1", "--iterations-per-epoch", "1", "--json");
        Assert.Equal(0, code);
        using var open = JsonDocument.Parse(output);
        Assert.Equal(1000, open.RootElement.GetProperty("queries").GetInt32());
        Assert.Equal("fashion-mnist", open.RootElement.GetProperty("data").GetString());
    }

    [Fact]
    public void ClosedSetOnGlyphsIsAUsageError()
    {
        var (code, _, err) = Run("train", "--protocol", "closed-set");
        Assert.Equal(2, code);
        AssertOneLineError(err, "--protocol closed-set", "open-set by construction");
    }

    [Fact]
    public void AGlyphDirectoryWithoutASetIsReported()
    {
        string dir = Path.Combine(Path.GetTempPath(), "deepmetric-glyphs-" + Guid.NewGuid().ToString("N"));
        var (code, _, err) = Run("train", "--data", "glyphs", "--data-dir", dir);
        Assert.Equal(1, code);
        AssertOneLineError(err, dir, "does not exist");
    }

    [Fact]
    public void DataGlyphsRefusesANonEmptyOutputWithoutOverwrite()
    {
        string dir = Path.Combine(Path.GetTempPath(), "deepmetric-glyphs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "keep.txt"), "mine");
            var (code, _, err) = Run("data", "glyphs", "--output", dir);
            Assert.Equal(2, code);
            AssertOneLineError(err, "--overwrite");
            Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "keep.txt")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [FreeTypeFact]
    public void DataGlyphsWritesASetThatTrainAndFewShotRead()
    {
        string root = Path.Combine(Path.GetTempPath(), "deepmetric-glyphs-" + Guid.NewGuid().ToString("N"));
        string set = Path.Combine(root, "set"), run = Path.Combine(root, "run");
        try
        {
            var (code, output, err) = Run("data", "glyphs", "--output", set, "--fonts", FreeTypeFactAttribute.DejaVuDirectory,
                "--scripts", "Latin,Greek,Cyrillic,Armenian", "--max-per-script", "4", "--instances", "8");
            Assert.Equal(0, code);
            Assert.Contains("train 8 classes / 64 images, test 8 classes / 64 images", output, StringComparison.Ordinal);
            Assert.Contains("glyphs:", err, StringComparison.Ordinal);
            Assert.True(GlyphSetStore.Exists(set));
            (code, _, err) = Run("data", "glyphs", "--output", set, "--fonts", FreeTypeFactAttribute.DejaVuDirectory, "--scripts", "Latin,Greek", "--max-per-script", "2", "--instances", "2");
            Assert.Equal(2, code);

            (code, _, err) = Run("train", "--data-dir", set, "--model", "mlp", "--epochs", "1", "--iterations-per-epoch", "1", "--batch-size", "16", "--run-dir", run, "--no-report", "--quiet");
            Assert.Equal("", err);
            Assert.Equal(0, code);
            (code, output, err) = Run("fewshot", "--data-dir", set, "--weights", Path.Combine(run, "model.safetensors"), "--episodes", "20", "--json");
            Assert.Equal("", err);
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(output);
            Assert.Equal(3, doc.RootElement.GetProperty("queries").GetInt32()); // 8 images a class − 5 shots
            Assert.Equal([1, 1, 5, 5], doc.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("shots").GetInt32()));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }
}
