using DeepMetric.Tensors;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

public sealed class CliAppTests
{
    [Fact]
    public void SubsetIsCopiedNextToTheAssemblies() =>
        Assert.True(File.Exists(Path.Combine(Subset, "train-images-idx3-ubyte.gz")), Subset);

    [Fact]
    public void InfoShowsVersionBlasAndData()
    {
        var (code, output, err) = Run("info", "--data-dir", Subset);
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains("version", output, StringComparison.Ordinal);
        Assert.Contains(Gemm.Backend == GemmBackend.OpenBlas ? "OpenBLAS (" : "managed SIMD kernel", output, StringComparison.Ordinal);
        Assert.Contains($"{Subset} (--data-dir)", output, StringComparison.Ordinal);
        Assert.Contains("6,000 images (600 per class × 10)", output, StringComparison.Ordinal);
        Assert.Contains("2,000 images (200 per class × 10)", output, StringComparison.Ordinal);
        Assert.Contains("Ankle boot", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);   // no escape codes off a terminal
    }

    [Fact]
    public void DataPrintsTheClassTable()
    {
        var (code, output, err) = Run("data", "--data-dir", Subset);
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains("split full: images 1×28×28", output, StringComparison.Ordinal);
        foreach (var name in DeepMetric.Data.FashionMnist.ClassNames)
        {
            Assert.Contains(name, output, StringComparison.Ordinal);
        }
        var coat = output.Split('\n').Single(l => l.Contains("Coat", StringComparison.Ordinal));
        Assert.Contains("600", coat, StringComparison.Ordinal);
        Assert.Contains("200", coat, StringComparison.Ordinal);
        Assert.Contains("6,000", output, StringComparison.Ordinal);
        Assert.Contains("2,000", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("open-set", "3,000", "1,000")]
    [InlineData("seen", "3,000", "1,000")]
    public void DataSplits(string split, string train, string test)
    {
        // --data-dir is accepted before the command name too.
        var (code, output, _) = Run("--data-dir", Subset, "data", "--split", split);
        Assert.Equal(0, code);
        var total = output.Split('\n').Single(l => l.Contains("total", StringComparison.Ordinal));
        Assert.Contains(train, total, StringComparison.Ordinal);
        Assert.Contains(test, total, StringComparison.Ordinal);
        var sandal = output.Split('\n').Single(l => l.Contains("Sandal", StringComparison.Ordinal));
        Assert.Equal(split == "open-set", sandal.Contains("200", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("info", "--help")]
    [InlineData("data", "--help")]
    [InlineData("data", "--split", "seen", "--help")]
    public void Help(params string[] args)
    {
        var (code, output, err) = Run(args);
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RootHelpListsTheCommands()
    {
        var (_, output, _) = Run("--help");
        Assert.Contains("info", output, StringComparison.Ordinal);
        Assert.Contains("data", output, StringComparison.Ordinal);
        Assert.Contains("--data-dir", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "bogus" }, "'bogus'")]
    [InlineData(new[] { "data", "--bogus" }, "'--bogus'", "deepmetric data --help")]
    [InlineData(new[] { "data", "--split", "nope" }, "'nope'", "open-set")]
    [InlineData(new[] { "info", "--data-dir" }, "--data-dir")]
    [InlineData(new[] { "info", "extra" }, "'extra'")]
    public void BadArgumentsGiveOneLineAndExitCode2(string[] args, params string[] expected)
    {
        var (code, output, err) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        AssertOneLineError(err, expected);
    }

    [Fact]
    public void MissingDataDirectoryIsOneLineAndExitCode1()
    {
        var missing = Path.Combine(Path.GetTempPath(), "deepmetric-no-such-dir-" + Guid.NewGuid().ToString("N"));
        var (code, _, err) = Run("data", "--data-dir", missing);
        Assert.Equal(1, code);
        AssertOneLineError(err, missing, "does not exist");
    }

    [Fact]
    public void CorruptDataIsOneLineNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("deepmetric-cli-").FullName;
        try
        {
            foreach (var f in Directory.GetFiles(Subset, "*.gz"))
            {
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            }
            var labels = Path.Combine(dir, "t10k-labels-idx1-ubyte.gz");
            File.WriteAllBytes(labels, [0, 0, 8, 1, 0, 0]);   // raw, magic 0x801 and half a count
            var (code, _, err) = Run("info", "--data-dir", dir);
            Assert.Equal(1, code);
            AssertOneLineError(err, labels, "truncated header");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
