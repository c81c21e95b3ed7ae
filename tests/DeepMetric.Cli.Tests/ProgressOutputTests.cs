using DeepMetric.Search;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary>Redirected output (a log) gets plain periodic progress lines; the interval is zero here so every report prints.</summary>
public sealed class ProgressOutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-progress-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) RunWithProgress(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error, TimeSpan.Zero);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void TrainingPrintsIterationLinesWithinAnEpochWhenRedirected()
    {
        var (code, output, err) = RunWithProgress("train", "--data-dir", Subset, "--epochs", "1", "--iterations-per-epoch", "3",
            "--batch-size", "32", "--m-per-class", "16", "--embedding-size", "8");
        Assert.True(code == 0, err);
        Assert.Contains("epoch 1/1: iteration 1/3, loss ", output, StringComparison.Ordinal);
        Assert.Contains("epoch 1/1: iteration 2/3, loss ", output, StringComparison.Ordinal);
        Assert.Contains("epoch 1/1: mean loss", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", output + err, StringComparison.Ordinal);   // no escape codes in a log

        // The default interval (10 s) prints no such line for a run this short.
        (code, output, _) = Run("train", "--data-dir", Subset, "--epochs", "1", "--iterations-per-epoch", "3",
            "--batch-size", "32", "--m-per-class", "16", "--embedding-size", "8");
        Assert.Equal(0, code);
        Assert.DoesNotContain("iteration 1/3", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hnsw")]
    [InlineData("flat")]
    public void IndexBuildReportsRowsAddedOnStandardError(string kind)
    {
        int n = 2500, d = 4;
        var v = new float[n * d];
        var rng = new Random(1);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)rng.NextDouble();
        }
        string store = Path.Combine(_dir, "s.dme");
        EmbeddingStore.Write(store, v, d, Enumerable.Range(0, n).Select(i => $"r{i}").ToArray(), [], new EmbeddingMetadata("m", VectorMetric.L2, "none"));
        string index = Path.Combine(_dir, "s.idx");
        var (code, output, err) = RunWithProgress("index", "--store", store, "--kind", kind, "--output", index);
        Assert.True(code == 0, err);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith($"index: {kind} build: 1,024/2,500 (41%)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"index: {kind} build: 2,500/2,500 (100%)", StringComparison.Ordinal));
        Assert.Contains("2,500", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIndexBuiltInChunksIsTheIndexBuiltAtOnce()
    {
        int n = 3000, d = 3;
        var v = new float[n * d];
        var rng = new Random(2);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)rng.NextDouble();
        }
        string store = Path.Combine(_dir, "c.dme");
        EmbeddingStore.Write(store, v, d, Enumerable.Range(0, n).Select(i => $"r{i}").ToArray(), [], new EmbeddingMetadata("m", VectorMetric.L2, "none"));
        using var s = EmbeddingStore.Open(store);
        var once = VectorIndexes.Build(VectorIndexKind.Hnsw, s, new HnswOptions(8, 40, 40, 5));
        var chunked = VectorIndexes.Build(VectorIndexKind.Hnsw, s, new HnswOptions(8, 40, 40, 5), new Progress<long>());
        string a = Path.Combine(_dir, "a.idx"), b = Path.Combine(_dir, "b.idx");
        once.Save(a);
        chunked.Save(b);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }
}
