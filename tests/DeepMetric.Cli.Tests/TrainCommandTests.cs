using System.Globalization;
using System.Text.Json;
using DeepMetric.Training;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

public sealed class TrainCommandTests
{
    private static double TableValue(string output, string metric, int column)
    {
        var line = output.Split('\n').Single(l => l.Contains($"│ {metric} ", StringComparison.Ordinal));
        var cells = line.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return double.Parse(cells[column], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void TinyRunPrintsTheTableAboveChance()
    {
        var (code, output, err) = Run("train", "--data-dir", Subset, "--epochs", "1", "--iterations-per-epoch", "5", "--batch-size", "64", "--m-per-class", "16");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("(--data-dir)", output, StringComparison.Ordinal);
        Assert.Contains("epoch 1/1: mean loss", output, StringComparison.Ordinal);
        Assert.Contains("1 epoch(s) × 5 iterations", output, StringComparison.Ordinal);
        foreach (var metric in new[] { "P@1", "R@1", "R@2", "R@4", "R@8", "R-Precision", "MAP@R" })
        {
            Assert.Contains($"│ {metric} ", output, StringComparison.Ordinal);
        }
        // Five unseen classes of equal size: chance P@1 is about 0.2 and MAP@R about 0.2 or below.
        Assert.True(TableValue(output, "P@1", 2) > 0.4, output);
        Assert.True(TableValue(output, "MAP@R", 2) > 0.2, output);
        Assert.True(TableValue(output, "R@8", 2) >= TableValue(output, "R@1", 2));
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonRunWritesOneLineAndTheRunDirectory()
    {
        var dir = Directory.CreateTempSubdirectory("deepmetric-train-").FullName;
        try
        {
            var (code, output, err) = Run("train", "--data-dir", Subset, "--epochs", "1", "--iterations-per-epoch", "3", "--miner", "batch-hard",
                "--loss", "contrastive", "--embedding-size", "16", "--json", "--run-dir", dir);
            Assert.Equal("", err);
            Assert.Equal(0, code);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            using var doc = JsonDocument.Parse(lines[0]);
            var root = doc.RootElement;
            Assert.Equal("contrastive", root.GetProperty("loss").GetString());
            Assert.Equal(1000, root.GetProperty("queries").GetInt32());
            Assert.InRange(root.GetProperty("precision_at_1").GetDouble(), 0.3, 1.0);
            Assert.True(root.GetProperty("train_samples_per_s").GetDouble() > 0);
            Assert.InRange(root.GetProperty("nmi").GetDouble(), 0.05, 1.0);
            Assert.InRange(root.GetProperty("ami").GetDouble(), 0.05, 1.0);

            Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
            using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
            Assert.Equal(16, config.RootElement.GetProperty("embedding_size").GetInt32());
            Assert.Equal(lines[0], File.ReadAllText(Path.Combine(dir, "metrics.json")).TrimEnd());
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

            var model = Models.Mlp(embeddingSize: 16);
            model.Load(Path.Combine(dir, "model.safetensors"));   // strict: every tensor name and shape matches
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void QuietPrintsOnlyTheTable()
    {
        var (code, output, _) = Run("train", "--data-dir", Subset, "--epochs", "1", "--iterations-per-epoch", "1", "--miner", "none", "--quiet");
        Assert.Equal(0, code);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.Contains("MAP@R", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PixelRecipeWithHeldOutClassesAugmentationAndWeightDecayRuns()
    {
        var (code, output, err) = Run("train", "--data-dir", Subset, "--recipe", "pixel-ms", "--epochs", "2", "--iterations-per-epoch", "2",
            "--batch-size", "32", "--m-per-class", "16", "--validation-fraction", "0.4", "--validation-holdout", "classes", "--evaluate-initial",
            "--augment", "--weight-decay", "0.01", "--embedding-size", "32");
        Assert.True(code == 0, err);
        Assert.Contains("pixel-residual", output, StringComparison.Ordinal);
        Assert.Contains("AdamW lr 1E-05 weight decay 0.01, crop+flip augmentation", output, StringComparison.Ordinal);
        Assert.Contains("MAP@R", output, StringComparison.Ordinal);
        Assert.True(output.Contains("kept the initial model", StringComparison.Ordinal) || output.Contains("restored the best model", StringComparison.Ordinal), output);
    }

    [Fact]
    public void HelpListsTheOptions()
    {
        var (code, output, _) = Run("train", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--model", "--loss", "--miner", "--margin", "--epochs", "--iterations-per-epoch", "--batch-size",
                     "--m-per-class", "--embedding-size", "--lr", "--seed", "--run-dir", "--quiet", "--json", "triplet", "semihard" })
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(new[] { "--model", "vgg" }, "'vgg'")]
    [InlineData(new[] { "--loss", "nope" }, "'nope'")]
    [InlineData(new[] { "--epochs", "-1" }, "--epochs must be 0 (evaluate the initial model, train nothing) or positive")]
    [InlineData(new[] { "--epochs", "x" }, "'x'")]
    [InlineData(new[] { "--batch-size", "100", "--m-per-class", "32" }, "multiple of --m-per-class")]
    [InlineData(new[] { "--batch-size", "192", "--m-per-class", "32" }, "needs 6 classes")]
    [InlineData(new[] { "--lr", "-1" }, "--lr must be a positive number")]
    [InlineData(new[] { "--iterations-per-epoch", "-2" }, "--iterations-per-epoch")]
    [InlineData(new[] { "--weight-decay", "-1" }, "--weight-decay")]
    [InlineData(new[] { "--evaluate-initial" }, "--evaluate-initial needs a validation split")]
    [InlineData(new[] { "--validation-holdout", "half" }, "'half'")]
    public void BadArgumentsGiveOneLineAndExitCode2(string[] args, string expected)
    {
        var (code, output, err) = Run(["train", "--data-dir", Subset, .. args]);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("deepmetric: error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void RunDirectoryThenResumeContinuesTheRun()
    {
        string dir = Path.Combine(Path.GetTempPath(), "dm-cli-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            string[] common = ["train", "--data-dir", Subset, "--iterations-per-epoch", "3", "--batch-size", "64", "--m-per-class", "16",
                "--embedding-size", "16", "--validation-fraction", "0.2", "--eval-every", "1", "--patience", "5",
                "--scheduler", "warmup-cosine", "--clip-grad-norm", "1", "--quiet"];
            var (code, _, err) = Run([.. common, "--epochs", "2", "--run-dir", dir]);
            Assert.Equal("", err);
            Assert.Equal(0, code);
            foreach (var f in new[] { "config.json", "metrics.jsonl", "checkpoint-last.safetensors", "checkpoint-best.safetensors", "model-final.safetensors", "model.safetensors" })
            {
                Assert.True(File.Exists(Path.Combine(dir, f)), f);
            }
            Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);

            (code, _, err) = Run([.. common, "--epochs", "3", "--resume", dir]);
            Assert.Equal("", err);
            Assert.Equal(0, code);
            var lines = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
            Assert.Equal(3, lines.Length);
            using var doc = JsonDocument.Parse(lines[2]);
            Assert.Equal(3, doc.RootElement.GetProperty("epoch").GetInt32());
            Assert.Equal(9, doc.RootElement.GetProperty("iteration").GetInt32());
            Assert.Equal(3, Checkpoint.Load(Path.Combine(dir, "checkpoint-last.safetensors")).Epoch);

            // Already complete, or a mismatched model: one-line errors.
            (code, _, err) = Run([.. common, "--epochs", "3", "--resume", dir]);
            Assert.NotEqual(0, code);
            Assert.Contains("--epochs", err, StringComparison.Ordinal);
            (code, _, err) = Run([.. common.Select(a => a == "16" ? "32" : a), "--epochs", "4", "--resume", dir]);
            Assert.NotEqual(0, code);
            Assert.Contains("--resume", err, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
