using System.Text.Json;
using System.Xml.Linq;

namespace DeepMetric.Cli.Tests;

/// <summary>
/// How the deepmetric tool starts (issue 16): the runtime settings its runtimeconfig.json carries, and the tool packages
/// dotnet pack makes. The reasons and measurements are in the comments of src/DeepMetric.Cli/DeepMetric.Cli.csproj.
/// </summary>
public sealed class StartupSettingsTests
{
    [Fact]
    public void RuntimeConfigCarriesTheChosenJitAndGcSettings()
    {
        // The file the SDK generated for the tool, copied beside the test binaries with DeepMetric.Cli.dll.
        string path = Path.Combine(AppContext.BaseDirectory, "DeepMetric.Cli.runtimeconfig.json");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(properties.GetProperty("System.GC.Concurrent").GetBoolean());
        Assert.False(properties.GetProperty("System.Runtime.TieredCompilation.QuickJitForLoops").GetBoolean());
        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
        // Tiered compilation itself stays on: precompiled code is re-optimised when hot.
        Assert.False(properties.TryGetProperty("System.Runtime.TieredCompilation", out _));
    }

    [SourceCheckoutFact]
    public void PackMakesAPrecompiledLinuxX64PackageAndAPortableFallback()
    {
        var project = XDocument.Load(Path.Combine(SourceCheckoutFactAttribute.Root!, "src", "DeepMetric.Cli", "DeepMetric.Cli.csproj"));

        var rids = project.Descendants("ToolPackageRuntimeIdentifiers").Single().Value.Split(';', StringSplitOptions.TrimEntries);
        Assert.Contains("linux-x64", rids);
        Assert.Contains("any", rids);   // every other machine installs the portable package
        Assert.Contains(project.Descendants("PublishReadyToRun"), p => p.Value == "true");
        // The shipped data and models travel in the published tools/ folder only; packed as content too, every package
        // would carry them three times.
        var content = project.Descendants("Content").ToList();
        Assert.NotEmpty(content);
        Assert.All(content, c => Assert.Equal("false", (string?)c.Attribute("Pack")));
    }
}
