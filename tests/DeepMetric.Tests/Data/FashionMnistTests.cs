using DeepMetric.Tests.TestUtil;
using DeepMetric.Data;

namespace DeepMetric.Tests.Data;

/// <summary>Loads the shipped subset once for the tests that read it.</summary>
public sealed class ShippedSubsetFixture
{
    public ShippedSubsetFixture()
    {
        // No environment value and a system directory that does not exist: the search must end at the shipped copy.
        Location = FashionMnist.Locate(null, null, "/nonexistent/fashion-mnist", [AppContext.BaseDirectory]);
        Data = FashionMnist.Load(Location);
    }

    public DatasetLocation Location { get; }

    public TrainTestSplit Data { get; }
}

public sealed class FashionMnistTests : IClassFixture<ShippedSubsetFixture>, IDisposable
{
    private readonly ShippedSubsetFixture _subset;
    private readonly TempDir _dir = new();

    public FashionMnistTests(ShippedSubsetFixture subset) => _subset = subset;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ShippedSubsetIsCopiedNextToTheAssembly()
    {
        Assert.Equal(DatasetOrigin.ShippedSubset, _subset.Location.Origin);
        var expected = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset"));
        Assert.Equal(expected, Path.GetFullPath(_subset.Location.Directory));
        Assert.Equal(expected, _subset.Data.SourceDirectory);
    }

    [Fact]
    public void ShippedSubsetHas600And200PerClass()
    {
        var (train, test) = _subset.Data;
        Assert.Equal(6000, train.Count);
        Assert.Equal(2000, test.Count);
        Assert.All(train.Images().ClassCounts, c => Assert.Equal(600, c));
        Assert.All(test.Images().ClassCounts, c => Assert.Equal(200, c));
        // Counted by hand from the labels too, not only through ClassCounts.
        var counts = new int[10];
        foreach (var label in train.Labels)
        {
            counts[label]++;
        }
        Assert.All(counts, c => Assert.Equal(600, c));
    }

    [Fact]
    public void ShippedSubsetPixelsAreImagesIn0To1()
    {
        foreach (var ds in new[] { _subset.Data.Train, _subset.Data.Test })
        {
            Assert.Equal((1, 28, 28), (ds.Images().Channels, ds.Images().Height, ds.Images().Width));
            Assert.Equal(ds.Count * 784, ds.Images().Pixels.Length);
            float min = float.MaxValue, max = float.MinValue;
            double sum = 0;
            foreach (var p in ds.Images().Pixels)
            {
                min = Math.Min(min, p);
                max = Math.Max(max, p);
                sum += p;
            }
            Assert.Equal(0f, min);
            Assert.Equal(1f, max);
            // Fashion-MNIST's mean intensity is about 0.286; a subset stays close.
            Assert.InRange(sum / ds.Images().Pixels.Length, 0.25, 0.32);
            Assert.Equal(FashionMnist.ClassNames, ds.ClassNames);
        }
    }

    [Fact]
    public void ClassNames()
    {
        Assert.Equal(
            new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
            FashionMnist.ClassNames);
    }

    [Fact]
    public void OpenSetSplitHasDisjointClasses()
    {
        var (train, test) = _subset.Data.OpenSetSplit();
        Assert.Equal(3000, train.Count);
        Assert.Equal(1000, test.Count);
        var trainClasses = new HashSet<int>(train.Labels.ToArray());
        var testClasses = new HashSet<int>(test.Labels.ToArray());
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, trainClasses.Order());
        Assert.Equal(new[] { 5, 6, 7, 8, 9 }, testClasses.Order());
        Assert.Equal(new[] { 600, 600, 600, 600, 600, 0, 0, 0, 0, 0 }, train.Images().ClassCounts);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 200, 200, 200, 200, 200 }, test.Images().ClassCounts);
    }

    [Fact]
    public void OpenSetSplitIsConfigurable()
    {
        var data = _subset.Data;
        var (train, test) = data.OpenSetSplit(trainClasses: 2..4, testClasses: 8..);
        Assert.Equal(new[] { 0, 0, 600, 600, 0, 0, 0, 0, 0, 0 }, train.Images().ClassCounts);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 0, 0, 0, 200, 200 }, test.Images().ClassCounts);

        // One side given: the other side takes the rest.
        Assert.Equal(new[] { 0, 0, 0, 200, 200, 200, 200, 200, 200, 200 }, data.OpenSetSplit(trainClasses: ..3).Test.Images().ClassCounts);
        Assert.Equal(new[] { 600, 600, 600, 600, 600, 600, 600, 0, 0, 0 }, data.OpenSetSplit(testClasses: 7..).Train.Images().ClassCounts);
        Assert.Equal(data.SourceDirectory, data.OpenSetSplit().SourceDirectory);
    }

    [Fact]
    public void OpenSetSplitRejectsOverlapAndBadRanges()
    {
        var e = Assert.Throws<ArgumentException>(() => _subset.Data.OpenSetSplit(0..5, 4..));
        Assert.Equal("testClasses", e.ParamName);
        Assert.Contains("class 4", e.Message, StringComparison.Ordinal);
        Assert.Equal("trainClasses", Assert.Throws<ArgumentOutOfRangeException>(() => _subset.Data.OpenSetSplit(0..11)).ParamName);
    }

    [Fact]
    public void SeenClassesSplitKeepsTheSameClasses()
    {
        var (train, test) = _subset.Data.SeenClassesSplit();
        Assert.Equal(new[] { 600, 600, 600, 600, 600, 0, 0, 0, 0, 0 }, train.Images().ClassCounts);
        Assert.Equal(new[] { 200, 200, 200, 200, 200, 0, 0, 0, 0, 0 }, test.Images().ClassCounts);
        var one = _subset.Data.SeenClassesSplit(1..2);
        Assert.Equal(new[] { 0, 600, 0, 0, 0, 0, 0, 0, 0, 0 }, one.Train.Images().ClassCounts);
        Assert.Equal(new[] { 0, 200, 0, 0, 0, 0, 0, 0, 0, 0 }, one.Test.Images().ClassCounts);
    }

    [Fact]
    public void DiscoveryOrder()
    {
        var explicitDir = IdxTestFiles.WriteFashionMnistDir(_dir.File("explicit"));
        var envDir = IdxTestFiles.WriteFashionMnistDir(_dir.File("env"));
        var systemDir = IdxTestFiles.WriteFashionMnistDir(_dir.File("system"));
        var root = _dir.File("repo");
        IdxTestFiles.WriteFashionMnistDir(Path.Combine(root, "data", "fashion-mnist-subset"));
        var deep = Directory.CreateDirectory(Path.Combine(root, "src", "bin", "Release")).FullName;
        string[] starts = [deep];
        var missingSystem = _dir.File("no-system");

        Assert.Equal(new DatasetLocation(explicitDir, DatasetOrigin.Explicit), FashionMnist.Locate(explicitDir, envDir, systemDir, starts));
        Assert.Equal(new DatasetLocation(envDir, DatasetOrigin.EnvironmentVariable), FashionMnist.Locate(null, envDir, systemDir, starts));
        Assert.Equal(new DatasetLocation(envDir, DatasetOrigin.EnvironmentVariable), FashionMnist.Locate("", envDir, systemDir, starts));
        Assert.Equal(new DatasetLocation(systemDir, DatasetOrigin.System), FashionMnist.Locate(null, null, systemDir, starts));
        Assert.Equal(new DatasetLocation(systemDir, DatasetOrigin.System), FashionMnist.Locate(null, " ", systemDir, starts));
        Assert.Equal(
            new DatasetLocation(Path.Combine(root, "data", "fashion-mnist-subset"), DatasetOrigin.ShippedSubset),
            FashionMnist.Locate(null, null, missingSystem, starts));
        // The first search start that leads to a copy wins.
        Assert.Equal(
            new DatasetLocation(Path.Combine(root, "data", "fashion-mnist-subset"), DatasetOrigin.ShippedSubset),
            FashionMnist.Locate(null, null, missingSystem, [_dir.File("explicit"), deep]));
    }

    [Fact]
    public void NestedFashionMnistFolderIsAccepted()
    {
        var nested = IdxTestFiles.WriteFashionMnistDir(Path.Combine(_dir.Path, "fashion-mnist"));
        Assert.Equal(nested, FashionMnist.Locate(null, _dir.Path, "/nonexistent", []).Directory);
        Assert.Equal(nested, FashionMnist.Locate(_dir.Path, null, "/nonexistent", []).Directory);
    }

    [Fact]
    public void RawFilesAreFoundToo()
    {
        var dir = IdxTestFiles.WriteFashionMnistDir(_dir.File("raw"), perClass: 3, gzip: false);
        var (train, test) = FashionMnist.Load(dir);
        Assert.Equal(30, train.Count);
        Assert.Equal(30, test.Count);
        // Image i is filled with its label value (see IdxTestFiles).
        Assert.Equal(7 / 255.0, train.Images().Image(7)[100], 1e-7);
        Assert.Equal(7, train.Labels[7]);
    }

    [Fact]
    public void ExplicitDirectoryMustExistAndHoldTheFiles()
    {
        var missing = _dir.File("missing");
        var e1 = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(missing, null, "/nonexistent", []));
        Assert.Contains(missing, e1.Message, StringComparison.Ordinal);

        var partial = IdxTestFiles.WriteFashionMnistDir(_dir.File("partial"));
        File.Delete(Path.Combine(partial, "t10k-labels-idx1-ubyte.gz"));
        var e2 = Assert.Throws<FileNotFoundException>(() => FashionMnist.Locate(partial, null, "/nonexistent", []));
        Assert.Contains(partial, e2.Message, StringComparison.Ordinal);
        Assert.Contains("t10k-labels-idx1-ubyte", e2.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("train-images", e2.Message, StringComparison.Ordinal);

        // A bad environment value is an error too, not a reason to fall back to another copy.
        var systemDir = IdxTestFiles.WriteFashionMnistDir(_dir.File("system"));
        var e3 = Assert.Throws<FileNotFoundException>(() => FashionMnist.Locate(null, partial, systemDir, []));
        Assert.Contains(FashionMnist.EnvironmentVariable, e3.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingFound()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(null, null, _dir.File("none"), [_dir.Path]));
        Assert.Contains(FashionMnist.EnvironmentVariable, e.Message, StringComparison.Ordinal);
        Assert.Contains(_dir.Path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptFileIsReportedByName()
    {
        var dir = IdxTestFiles.WriteFashionMnistDir(_dir.File("corrupt"));
        var labels = Path.Combine(dir, "t10k-labels-idx1-ubyte.gz");
        File.WriteAllBytes(labels, []);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir));
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
    }
}
