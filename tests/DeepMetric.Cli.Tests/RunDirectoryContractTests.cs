using System.Text.Json;
using DeepMetric.Runs;
using DeepMetric.Training;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary>The run-directory contract of <c>train</c>: no silent overwrite, one writer, a real baseline, refused changes on resume.</summary>
public sealed class RunDirectoryContractTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dm-rundir-" + Guid.NewGuid().ToString("N"));

    private static string[] Tiny(string dir, int epochs = 1, params string[] extra) =>
        ["train", "--data-dir", Subset, "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--iterations-per-epoch", "2",
         "--batch-size", "32", "--m-per-class", "16", "--embedding-size", "8", "--no-report", "--quiet", "--run-dir", dir, .. extra];

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void ASecondTrainIntoAFinishedRunIsRefusedAndLeavesItIntact()
    {
        var (code, _, err) = Run(Tiny(_dir));
        Assert.True(code == 0, err);
        string model = Path.Combine(_dir, RunDirectory.ModelFile);
        byte[] before = File.ReadAllBytes(model);
        var stamp = File.GetLastWriteTimeUtc(model);

        (code, var output, err) = Run(Tiny(_dir, 1, "--seed", "7"));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        AssertOneLineError(err, "already holds a run", "--resume", "--overwrite");
        Assert.Equal(before, File.ReadAllBytes(model));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(model));
    }

    [Fact]
    public void OverwriteRemovesEveryArtefactOfTheOldRun()
    {
        var (code, _, err) = Run(Tiny(_dir));
        Assert.True(code == 0, err);
        // What later commands leave in a run directory: a threshold, a report, exported charts.
        File.WriteAllText(Path.Combine(_dir, "model.threshold.json"), "{}");
        File.WriteAllText(Path.Combine(_dir, RunDirectory.ReportFile), "<html>old</html>");
        Directory.CreateDirectory(Path.Combine(_dir, "charts"));
        File.WriteAllText(Path.Combine(_dir, "charts", "loss.png"), "png");
        File.WriteAllText(Path.Combine(_dir, RunDirectory.BestWeightsFile), "old best");

        (code, _, err) = Run(Tiny(_dir, 1, "--seed", "3", "--overwrite"));
        Assert.True(code == 0, err);
        Assert.False(File.Exists(Path.Combine(_dir, "model.threshold.json")));
        Assert.False(File.Exists(Path.Combine(_dir, RunDirectory.ReportFile)));
        Assert.False(File.Exists(Path.Combine(_dir, RunDirectory.BestWeightsFile)));   // no validation this time: none written
        Assert.False(Directory.Exists(Path.Combine(_dir, "charts")));
        Assert.Equal(3UL, RunConfig.Load(Path.Combine(_dir, RunDirectory.ConfigFile)).Seed);
        Assert.True(File.Exists(Path.Combine(_dir, RunDirectory.ModelFile)));
    }

    [Fact]
    public void OverwriteRefusesAFolderThatIsNotARun()
    {
        Directory.CreateDirectory(_dir);
        string mine = Path.Combine(_dir, "thesis.tex");
        File.WriteAllText(mine, "precious");
        var (code, _, err) = Run(Tiny(_dir, 1, "--overwrite"));
        Assert.Equal(2, code);
        AssertOneLineError(err, "not a run directory");
        Assert.Equal("precious", File.ReadAllText(mine));

        (code, _, err) = Run(Tiny(_dir));
        Assert.Equal(2, code);
        AssertOneLineError(err, "files that are not a run");
    }

    [Fact]
    public void ASecondWriterGetsAClearErrorWhileTheFirstHoldsTheDirectory()
    {
        using (RunDirectoryLock.Acquire(_dir))
        {
            var (code, output, err) = Run(Tiny(_dir));
            Assert.Equal(1, code);
            Assert.Equal("", output);
            AssertOneLineError(err, "in use by another training run");
            Assert.False(File.Exists(Path.Combine(_dir, RunDirectory.ConfigFile)));
        }
        // Released: now it works.
        var (again, _, e2) = Run(Tiny(_dir));
        Assert.True(again == 0, e2);
    }

    [Fact]
    public void ResumeKeepsTheUntrainedBaselineAndCountsEverySegment()
    {
        var (code, first, err) = Run([.. Tiny(_dir), "--json"]);
        Assert.True(code == 0, err);
        using var a = JsonDocument.Parse(first);
        double untrainedMap = a.RootElement.GetProperty("untrained_map_at_r").GetDouble();
        double untrainedP1 = a.RootElement.GetProperty("untrained_precision_at_1").GetDouble();
        double trainedMap = a.RootElement.GetProperty("map_at_r").GetDouble();
        Assert.NotEqual(untrainedMap, trainedMap);   // otherwise the check below could not tell them apart
        Assert.True(File.Exists(Path.Combine(_dir, RunDirectory.BaselineFile)));

        (code, var second, err) = Run([.. Tiny(_dir, epochs: 3), "--resume", _dir, "--json"]);
        Assert.True(code == 0, err);
        using var b = JsonDocument.Parse(second);
        Assert.Equal(untrainedMap, b.RootElement.GetProperty("untrained_map_at_r").GetDouble());
        Assert.Equal(untrainedP1, b.RootElement.GetProperty("untrained_precision_at_1").GetDouble());

        // train_seconds is the sum over all epochs of both segments, as logged epoch by epoch.
        double logged = File.ReadAllLines(Path.Combine(_dir, RunDirectory.MetricsFile))
            .Sum(l => JsonDocument.Parse(l).RootElement.GetProperty("train_seconds").GetDouble());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(_dir, RunDirectory.MetricsFile)).Length);
        Assert.Equal(logged, b.RootElement.GetProperty("train_seconds").GetDouble(), 3);

        var config = RunConfig.Load(Path.Combine(_dir, RunDirectory.ConfigFile));
        Assert.Equal(1, config.Epochs);   // the original schedule length
        Assert.Equal([(0, 1), (1, 3)], config.Segments.Select(g => (g.StartEpoch, g.Epochs)));
    }

    [Fact]
    public void ABaselineIsRebuiltFromTheSeedForRunsThatKeptNone()
    {
        var (code, first, err) = Run([.. Tiny(_dir), "--json"]);
        Assert.True(code == 0, err);
        using var a = JsonDocument.Parse(first);
        File.Delete(Path.Combine(_dir, RunDirectory.BaselineFile));
        (code, var second, err) = Run([.. Tiny(_dir, epochs: 2), "--resume", _dir, "--json"]);
        Assert.True(code == 0, err);
        using var b = JsonDocument.Parse(second);
        Assert.Equal(a.RootElement.GetProperty("untrained_map_at_r").GetDouble(), b.RootElement.GetProperty("untrained_map_at_r").GetDouble());
    }

    [Theory]
    [InlineData(new[] { "--lr", "0.002" }, "lr: 0.00100000005 → 0.00200000009")]
    [InlineData(new[] { "--margin", "0.3" }, "margin: (none) → 0.300000012")]
    [InlineData(new[] { "--augment" }, "augment: false → true")]
    [InlineData(new[] { "--loss", "contrastive", "--miner", "batch-hard" }, "loss: triplet → contrastive; miner: semihard → batch-hard")]
    public void ResumeWithChangedSettingsIsRefusedListingWhatChanged(string[] changed, string expected)
    {
        var (code, _, err) = Run(Tiny(_dir));
        Assert.True(code == 0, err);
        string config = File.ReadAllText(Path.Combine(_dir, RunDirectory.ConfigFile));
        byte[] checkpoint = File.ReadAllBytes(Path.Combine(_dir, RunDirectory.LastCheckpointFile));

        (code, _, err) = Run([.. Tiny(_dir, epochs: 2), "--resume", _dir, .. changed]);
        Assert.Equal(2, code);
        AssertOneLineError(err, "--resume", expected);
        Assert.Equal(config, File.ReadAllText(Path.Combine(_dir, RunDirectory.ConfigFile)));
        Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(_dir, RunDirectory.LastCheckpointFile)));
    }

    [Fact]
    public void ResumeAndOverwriteTogetherAreRefused()
    {
        var (code, _, err) = Run([.. Tiny(_dir, epochs: 2), "--resume", _dir, "--overwrite"]);
        Assert.Equal(2, code);
        AssertOneLineError(err, "not both");
    }

    [Fact]
    public void OneClassPerBatchIsRefused()
    {
        var (code, _, err) = Run("train", "--data-dir", Subset, "--epochs", "1", "--batch-size", "16", "--m-per-class", "16");
        Assert.Equal(2, code);
        AssertOneLineError(err, "one class in each batch", "no negatives");
    }

    [Fact]
    public void AClassSmallerThanMPerClassIsAWarning()
    {
        Directory.CreateDirectory(_dir);
        string csv = Path.Combine(_dir, "train.csv");
        var lines = new List<string>();
        foreach (var (label, rows) in new[] { (0, 10), (1, 10), (2, 3) })
        {
            for (int i = 0; i < rows; i++)
            {
                lines.Add(FormattableString.Invariant($"{label},{label + (0.01 * i)},{-label}"));
            }
        }
        File.WriteAllLines(csv, lines);
        var (code, _, err) = Run("train", "--data", "csv", "--train", csv, "--test", csv, "--epochs", "1", "--iterations-per-epoch", "2",
            "--batch-size", "8", "--m-per-class", "4", "--embedding-size", "4", "--quiet");
        Assert.True(code == 0, err);
        Assert.Contains("warning: --m-per-class 4 is larger than 1 training class(es) (class 2 has 3)", err, StringComparison.Ordinal);
    }
}
