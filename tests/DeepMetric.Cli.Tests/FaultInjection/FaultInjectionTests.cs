using System.Text.Json;
using DeepMetric.Calibration;
using DeepMetric.Runs;
using DeepMetric.Search;
using DeepMetric.Training;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests.FaultInjection;

/// <summary>
/// What happens when things go wrong on disk: the CLI is killed (SIGKILL, as a separate process) while it writes,
/// two writers meet, a byte flips or a file is cut short, the directory cannot be written. After each, the previous
/// good state must be intact and the command must say what went wrong. Small data, a few seconds each.
/// </summary>
public sealed class FaultInjectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-faults-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Train(string runDir, int epochs) =>
        ["train", "--data-dir", Subset, "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--iterations-per-epoch", "2",
         "--batch-size", "32", "--m-per-class", "16", "--embedding-size", "8", "--no-report", "--quiet", "--run-dir", runDir];

    private static int Lines(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path).Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private string SmallStore(string name, int rows = 6, int dimension = 3)
    {
        string path = Path.Combine(_dir, name);
        var v = new float[rows * dimension];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (i * 0.37f) % 1.3f;
        }
        EmbeddingStore.Write(path, v, dimension, Enumerable.Range(0, rows).Select(i => $"id{i}").ToArray(), Enumerable.Range(0, rows).Select(i => i % 2).ToArray(),
            new EmbeddingMetadata("model", VectorMetric.L2, "none"));
        return path;
    }

    [Fact]
    public void SigkillDuringTrainingLeavesAResumableRunAndNoStaleLock()
    {
        string run = Path.Combine(_dir, "run");
        string metrics = Path.Combine(run, RunDirectory.MetricsFile);
        using var p = CliProcess.Start(Train(run, epochs: 400));
        Assert.True(CliProcess.KillWhen(p, () => Lines(metrics) >= 2, TimeSpan.FromSeconds(120)), "training never completed two epochs");

        // Every file is whole: the config, the log, the checkpoint it would resume from.
        var config = RunConfig.Load(Path.Combine(run, RunDirectory.ConfigFile));
        Assert.Equal(400, config.Epochs);
        int logged = File.ReadAllLines(metrics).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("epoch").GetInt32()).Max();
        int saved = Checkpoint.Load(Path.Combine(run, RunDirectory.LastCheckpointFile)).Epoch;
        Assert.InRange(saved, logged, logged + 1);   // killed between the checkpoint and the log at worst

        // A new train is refused (the run is kept), and the killed writer's lock died with it: resume works.
        var (code, _, err) = Run(Train(run, epochs: 400));
        Assert.Equal(2, code);
        AssertOneLineError(err, "already holds a run");
        (code, _, err) = Run([.. Train(run, epochs: saved + 1), "--resume", run]);
        Assert.True(code == 0, err);
        Assert.Equal(saved + 1, Checkpoint.Load(Path.Combine(run, RunDirectory.LastCheckpointFile)).Epoch);
    }

    [Fact]
    public void TwoConcurrentWritersTheSecondIsRefusedAndTheFirstFinishes()
    {
        string run = Path.Combine(_dir, "run");
        using var first = CliProcess.Start(Train(run, epochs: 3));
        // The first holds the lock once it has written its config.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(run, RunDirectory.ConfigFile)) && !first.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(5);
        }
        Assert.False(first.HasExited, "the first writer finished before the second could start");
        var (code, output, err) = Run([.. Train(run, epochs: 3), "--overwrite"]);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        AssertOneLineError(err, "in use by another training run");
        first.WaitForExit();
        Assert.True(first.ExitCode == 0, $"the first writer exited with {first.ExitCode}: {CliProcess.ErrorOutput(first)}");
        Assert.Equal(3, Checkpoint.Load(Path.Combine(run, RunDirectory.LastCheckpointFile)).Epoch);
        Assert.True(File.Exists(Path.Combine(run, RunDirectory.ModelFile)));
    }

    [Theory]
    [InlineData("embed")]
    [InlineData("index")]
    [InlineData("dedup")]
    public void SigkillDuringAWriteLeavesThePreviousFileIntact(string command)
    {
        string target = Path.Combine(_dir, "target.out");
        string[] args;
        Action checkIntact;
        switch (command)
        {
            case "embed":
            {
                string weights = Path.Combine(_dir, "model.safetensors");
                Models.Mlp(8, seed: 1).Save(weights, ModelLoader.Metadata("mlp", 8, 1, 28, 28));
                File.Copy(SmallStore("old.dme"), target);
                args = ["embed", "--data-dir", Subset, "--weights", weights, "--split", "train", "--output", target];
                checkIntact = () =>
                {
                    using var s = EmbeddingStore.Open(target, verifyChecksum: true);
                    Assert.True(s.Count is 6 or > 1000);   // the old store or the whole new one
                };
                break;
            }
            case "index":
            {
                string big = Path.Combine(_dir, "big.dme");
                var v = new float[30000 * 8];
                var rng = new Random(3);
                for (int i = 0; i < v.Length; i++)
                {
                    v[i] = (float)rng.NextDouble();
                }
                EmbeddingStore.Write(big, v, 8, Enumerable.Range(0, 30000).Select(i => $"r{i}").ToArray(), [], new EmbeddingMetadata("m", VectorMetric.L2, "none"));
                Assert.Equal(0, Run("index", "--store", SmallStore("small.dme"), "--output", target).Code);
                args = ["index", "--store", big, "--output", target];
                checkIntact = () =>
                {
                    var index = VectorIndexes.Load(target);
                    Assert.True(index.Count is 6 or 30000);
                };
                break;
            }
            default:
            {
                string store = Path.Combine(_dir, "many.dme");
                var v = new float[20000 * 4];
                var rng = new Random(4);
                for (int i = 0; i < v.Length; i++)
                {
                    v[i] = (float)rng.NextDouble();
                }
                EmbeddingStore.Write(store, v, 4, Enumerable.Range(0, 20000).Select(i => $"r{i}").ToArray(), [], new EmbeddingMetadata("m", VectorMetric.L2, "none"));
                File.WriteAllText(target, "group,representative,id,row,distance_to_representative\nold\n");
                args = ["dedup", "--store", store, "--threshold", "0.2", "--output", target];
                checkIntact = () =>
                {
                    string text = File.ReadAllText(target);
                    Assert.True(text.EndsWith("old\n", StringComparison.Ordinal) || text.EndsWith('\n'), "a partial file");
                    Assert.StartsWith("group,representative,id,row,distance_to_representative\n", text, StringComparison.Ordinal);
                };
                break;
            }
        }
        using var p = CliProcess.Start(args);
        // Kill as soon as the temporary file of the atomic write appears (or after a moment, mid-computation).
        var started = System.Diagnostics.Stopwatch.StartNew();
        CliProcess.KillWhen(p, () => Directory.EnumerateFiles(_dir, "target.out.*.tmp").Any() || started.Elapsed > TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(60));
        checkIntact();
    }

    [Fact]
    public void OneFlippedByteAnywhereInAStoreIsCaughtAndNamed()
    {
        string good = SmallStore("good.dme");
        byte[] bytes = File.ReadAllBytes(good);
        string bad = Path.Combine(_dir, "bad.dme");
        for (int offset = 0; offset < bytes.Length; offset++)
        {
            var copy = (byte[])bytes.Clone();
            copy[offset] ^= 0x10;
            File.WriteAllBytes(bad, copy);
            var e = Assert.Throws<InvalidDataException>(() =>
            {
                using var s = EmbeddingStore.Open(bad, verifyChecksum: true);
            });
            Assert.Contains(bad, e.Message, StringComparison.Ordinal);
        }
        // Through the commands that read stores and flat indexes: exit 1, one line naming the file.
        foreach (long offset in new long[] { 0, 20, 130, bytes.Length / 2, bytes.Length - 1 })
        {
            var copy = (byte[])bytes.Clone();
            copy[offset] ^= 0x10;
            File.WriteAllBytes(bad, copy);
            foreach (var args in new[] { new[] { "store", bad }, new[] { "search", "--index", bad, "--id", "id0" }, new[] { "search", "--index", good, "--store", bad },
                         new[] { "index", "--store", bad, "--output", Path.Combine(_dir, "x.idx") }, new[] { "dedup", "--store", bad, "--threshold", "0.1" },
                         new[] { "calibrate", "--store", bad } })
            {
                var (code, output, err) = Run(args);
                Assert.True(code == 1, $"{string.Join(' ', args)} at byte {offset}: exit {code}, {err}");
                Assert.Equal("", output);
                AssertOneLineError(err, bad);
            }
        }
        Assert.False(File.Exists(Path.Combine(_dir, "x.idx")));
    }

    [Fact]
    public void OneFlippedByteInAnHnswIndexIsCaught()
    {
        string store = SmallStore("s.dme", rows: 40);
        string index = Path.Combine(_dir, "s.idx");
        Assert.Equal(0, Run("index", "--store", store, "--output", index).Code);
        byte[] bytes = File.ReadAllBytes(index);
        string bad = Path.Combine(_dir, "bad.idx");
        for (int offset = 0; offset < bytes.Length; offset += Math.Max(1, bytes.Length / 97))
        {
            var copy = (byte[])bytes.Clone();
            copy[offset] ^= 0x10;
            File.WriteAllBytes(bad, copy);
            var (code, _, err) = Run("search", "--index", bad, "--store", store, "--json");
            Assert.True(code == 1, $"byte {offset}: exit {code}");
            AssertOneLineError(err, bad);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(-1)]
    public void ATruncatedStoreIsCaughtAtAnyLength(int keep)
    {
        string good = SmallStore("good.dme");
        byte[] bytes = File.ReadAllBytes(good);
        int length = keep < 0 ? bytes.Length + keep : keep;
        string cut = Path.Combine(_dir, "cut.dme");
        File.WriteAllBytes(cut, bytes[..length]);
        var (code, output, err) = Run("store", cut, "--json");
        Assert.Equal(1, code);
        AssertOneLineError(err, cut);
        using var doc = JsonDocument.Parse(output);
        Assert.Contains(cut, doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RunDirectory.ConfigFile)]
    [InlineData(RunDirectory.BaselineFile)]
    public void ACorruptRunFileStopsAResumeWithItsName(string file)
    {
        string run = Path.Combine(_dir, "run");
        var (code, _, err) = Run(Train(run, epochs: 1));
        Assert.True(code == 0, err);
        string path = Path.Combine(run, file);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);   // cut short
        byte[] checkpoint = File.ReadAllBytes(Path.Combine(run, RunDirectory.LastCheckpointFile));
        (code, _, err) = Run([.. Train(run, epochs: 2), "--resume", run]);
        Assert.NotEqual(0, code);
        AssertOneLineError(err, file);
        Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(run, RunDirectory.LastCheckpointFile)));
    }

    [Fact]
    public void ACorruptThresholdFileIsNamed()
    {
        string store = SmallStore("emb.dme");
        string path = Path.Combine(_dir, "emb.threshold.json");
        new CalibratedThreshold(0.1f, VectorMetric.L2, 1, 1, 1, CalibrationMethod.BestF1, null, 1, 1) { Kind = ThresholdKind.NearDuplicate }.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 5)]);
        var (code, _, err) = Run("dedup", "--store", store);
        Assert.Equal(1, code);
        AssertOneLineError(err, path);
    }

    [LinuxFact]
    public void AnUnwritableRunDirectoryIsAOneLineFailure()
    {
        // /proc refuses new entries even to root, unlike a chmod-ed directory.
        string run = "/proc/deepmetric-no-such-dir/run";
        var (code, output, err) = Run(Train(run, epochs: 1));
        Assert.Equal(1, code);
        Assert.Equal("", output);
        AssertOneLineError(err, "/proc/deepmetric-no-such-dir");
    }

    [FullDiskFact]
    public void AFullDiskFailsTheWriteAndKeepsThePreviousFile()
    {
        // A 64 KB disk holds the small index but not the one of 30,000 rows: the write must fail with the file's name,
        // and the previous index must still load, with no temporary file left beside it.
        using var disk = TinyDisk.Mount(64);
        string target = Path.Combine(disk.Path, "target.idx");
        // Flat indexes: an HNSW build of 30,000 rows can pass 10 s on a slow machine and print progress lines.
        Assert.Equal(0, Run("index", "--kind", "flat", "--store", SmallStore("small.dme"), "--output", target).Code);
        string big = Path.Combine(_dir, "big.dme");
        var v = new float[30000 * 8];
        var rng = new Random(5);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)rng.NextDouble();
        }
        EmbeddingStore.Write(big, v, 8, Enumerable.Range(0, 30000).Select(i => $"r{i}").ToArray(), [], new EmbeddingMetadata("m", VectorMetric.L2, "none"));

        var (code, output, err) = Run("index", "--kind", "flat", "--store", big, "--output", target);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        AssertOneLineError(err, target);
        Assert.Equal(6, VectorIndexes.Load(target).Count);
        Assert.Equal(["target.idx"], Directory.GetFiles(disk.Path).Select(Path.GetFileName));
    }
}
