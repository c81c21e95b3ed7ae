namespace DeepMetric.Tests.Conventions;

/// <summary>The repository checkout the tests were built from, found by walking up to DeepMetric.slnx.</summary>
internal static class SourceTree
{
    public static string? Root { get; } = Find();

    private static string? Find()
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
