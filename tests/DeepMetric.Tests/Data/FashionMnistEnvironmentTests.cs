using DeepMetric.Data;

namespace DeepMetric.Tests.Data;

/// <summary>Tests that change process-wide environment variables; they never run alongside other tests.</summary>
[CollectionDefinition(nameof(EnvironmentVariableCollection), DisableParallelization = true)]
public sealed class EnvironmentVariableCollection;

[Collection(nameof(EnvironmentVariableCollection))]
public sealed class FashionMnistEnvironmentTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string? _saved = Environment.GetEnvironmentVariable(FashionMnist.EnvironmentVariable);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(FashionMnist.EnvironmentVariable, _saved);
        _dir.Dispose();
    }

    [Fact]
    public void EnvironmentVariableComesAfterAnExplicitDirectory()
    {
        var envDir = IdxTestFiles.WriteFashionMnistDir(_dir.File("env"), perClass: 1);
        var explicitDir = IdxTestFiles.WriteFashionMnistDir(_dir.File("explicit"), perClass: 2);
        Environment.SetEnvironmentVariable(FashionMnist.EnvironmentVariable, envDir);

        Assert.Equal(new DatasetLocation(envDir, DatasetOrigin.EnvironmentVariable), FashionMnist.Locate());
        Assert.Equal(10, FashionMnist.Load().Train.Count);
        Assert.Equal(new DatasetLocation(explicitDir, DatasetOrigin.Explicit), FashionMnist.Locate(explicitDir));
        Assert.Equal(20, FashionMnist.Load(explicitDir).Test.Count);
    }

    [Fact]
    public void UnsetEnvironmentVariableFallsThrough()
    {
        Environment.SetEnvironmentVariable(FashionMnist.EnvironmentVariable, null);
        var location = FashionMnist.Locate();
        // The system copy when Debian's package is installed, the shipped subset otherwise.
        Assert.Contains(location.Origin, new[] { DatasetOrigin.System, DatasetOrigin.ShippedSubset });
    }
}
