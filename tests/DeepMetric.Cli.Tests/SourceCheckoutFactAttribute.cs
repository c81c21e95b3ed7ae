namespace DeepMetric.Cli.Tests;

/// <summary>A fact that reads the project's source files; reported as skipped when the tests do not run from a checkout
/// (no DeepMetric.slnx above the test binaries).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SourceCheckoutFactAttribute : FactAttribute
{
    public SourceCheckoutFactAttribute()
    {
        if (Root is null)
        {
            Skip = "No DeepMetric.slnx above the test binaries: the tests are not running from a source checkout.";
        }
    }

    /// <summary>The checkout's root directory, or null outside one.</summary>
    internal static string? Root { get; } = FindRoot();

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DeepMetric.slnx")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}
