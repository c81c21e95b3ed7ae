using System.Text.Json;
using DeepMetric.Cli.Commands;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;
using DeepMetric.Cli.Tests.TestUtil;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary><c>train --epochs 0</c> (evaluate and keep the initial model) and the 0-epoch default of <c>train --backbone</c>.</summary>
public sealed class EpochsZeroTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-cli-epochs0-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static JsonElement Json(string output) => JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;

    [Fact]
    public void Epochs_zero_writes_the_initial_model_its_metrics_and_a_report()
    {
        string run = P("run");
        var (code, output, err) = Run("train", "--data-dir", Subset, "--model", "mlp", "--embedding-size", "16", "--seed", "5",
            "--epochs", "0", "--run-dir", run, "--json");
        Assert.Equal("", err);
        Assert.Equal(0, code);

        var json = Json(output);
        Assert.Equal(0, json.GetProperty("epochs").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("final_loss").ValueKind);
        Assert.Equal(0, json.GetProperty("train_seconds").GetDouble());
        // Nothing trained: the "trained" figures are the untrained network's.
        Assert.Equal(json.GetProperty("untrained_map_at_r").GetDouble(), json.GetProperty("map_at_r").GetDouble());
        Assert.Equal(json.GetProperty("untrained_precision_at_1").GetDouble(), json.GetProperty("precision_at_1").GetDouble());
        Assert.InRange(json.GetProperty("raw_pixels_map_at_r").GetDouble(), 0.05, 1);
        Assert.InRange(json.GetProperty("raw_pixels_precision_at_1").GetDouble(), 0.05, 1);
        Assert.InRange(json.GetProperty("map_at_r").GetDouble(), 0.01, 1);
        Assert.True(json.GetProperty("queries").GetInt32() > 0);

        // The saved weights are the initial network: an independently built one with the same seed embeds identically,
        // through the library and through `embed --weights`.
        var initial = ModelLoader.Create("mlp", 16, 1, 28, 28, seed: 5);
        var x = Tensor.Rand(new Prng(11), [5, 1, 28, 28], 0f, 1f);
        float[] expected = initial.Embed(x).ToArray();
        var loaded = ModelLoader.Load(Path.Combine(run, "model.safetensors"));
        Assert.Equal(expected, loaded.Model.Embed(x).ToArray());
        NpyTensorFile.Write(P("x.npy"), x.ReadOnlySpan, [5, 1, 28, 28]);
        var embedded = Run("embed", "--weights", run, "--data", P("x.npy"), "--output", P("y.npy"));
        Assert.Equal("", embedded.Err);
        Assert.Equal(0, embedded.Code);
        Assert.Equal(expected, NpyTensorFile.Read(P("y.npy")).Values);

        // The metrics history holds the epoch-0 line; the report and eval read the run.
        string[] history = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        Assert.Single(history);
        Assert.Equal(0, JsonDocument.Parse(history[0]).RootElement.GetProperty("epoch").GetInt32());
        Assert.True(new FileInfo(Path.Combine(run, "report.html")).Length > 1000);
        var report = Run("report", run, "--output", P("again.html"));
        Assert.Equal("", report.Err);
        Assert.Equal(0, report.Code);
        var evaluated = Run("eval", "--weights", run, "--data-dir", Subset, "--json");
        Assert.Equal("", evaluated.Err);
        Assert.Equal(0, evaluated.Code);
        Assert.Equal(json.GetProperty("map_at_r").GetDouble(), Json(evaluated.Out).GetProperty("map_at_r").GetDouble(), 1e-6);

        // Nothing to continue from, and said so.
        var resumed = Run("train", "--data-dir", Subset, "--model", "mlp", "--embedding-size", "16", "--seed", "5", "--epochs", "1", "--resume", run);
        Assert.Equal(2, resumed.Code);
        Assert.Contains("trained 0 epochs", resumed.Err, StringComparison.Ordinal);
        var resumedZero = Run("train", "--data-dir", Subset, "--epochs", "0", "--resume", run);
        Assert.Equal(2, resumedZero.Code);
        Assert.Contains("--resume needs --epochs", resumedZero.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_epochs_are_refused()
    {
        var (code, _, err) = Run("train", "--data-dir", Subset, "--epochs", "-1");
        Assert.Equal(2, code);
        Assert.Contains("--epochs must be 0", err, StringComparison.Ordinal);
    }

    private string WriteImages() => BarImageFolder.Write(P("images"));

    [Fact]
    public void Backbone_without_epochs_keeps_the_read_out_and_with_epochs_trains()
    {
        string root = WriteImages(), run = P("run");
        string[] common = ["train", "--data", "image-folder", "--data-dir", root, "--color", "gray", "--image-size", "28",
            "--backbone", "resnet18-imagenet", "--backbone-input-size", "64", "--validation-fraction", "0", "--batch-size", "4", "--m-per-class", "2"];

        var (code, output, err) = Run([.. common, "--run-dir", run, "--no-report"]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("0 epochs (default with --backbone)", output, StringComparison.Ordinal);
        Assert.Contains("--epochs N", output, StringComparison.Ordinal);
        Assert.Contains("--finetune N", output, StringComparison.Ordinal);
        Assert.Contains("trained nothing (--epochs 0)", output, StringComparison.Ordinal);
        Assert.Contains("the initial model, kept (0 epochs)", output, StringComparison.Ordinal);
        Assert.Contains("0 epochs: the initial model is evaluated and kept", output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch 1/", output, StringComparison.Ordinal);
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json"))).RootElement;
        Assert.Equal(0, summary.GetProperty("epochs").GetInt32());
        Assert.Equal(summary.GetProperty("untrained_map_at_r").GetDouble(), summary.GetProperty("map_at_r").GetDouble());
        Assert.Equal("backbone", ModelLoader.Load(Path.Combine(run, "model.safetensors")).Kind);

        var trained = Run([.. common, "--epochs", "1", "--iterations-per-epoch", "2", "--json"]);
        Assert.Equal("", trained.Err);
        Assert.Equal(0, trained.Code);
        var json = Json(trained.Out);
        Assert.Equal(1, json.GetProperty("epochs").GetInt32());
        Assert.Equal(JsonValueKind.Number, json.GetProperty("final_loss").ValueKind);
        Assert.True(json.GetProperty("train_samples_per_s").GetDouble() > 0);
    }
}
