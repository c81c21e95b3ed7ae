using System.CommandLine;
using DeepMetric.Data;

namespace DeepMetric.Cli.Commands;

/// <summary>Options shared by several commands; one instance per command tree.</summary>
internal sealed class CommonOptions
{
    /// <summary>
    /// <c>--data-dir</c>: where the Fashion-MNIST IDX files are. Recursive, so it is accepted before or after any
    /// command name.
    /// </summary>
    internal Option<DirectoryInfo?> DataDir { get; } = new("--data-dir")
    {
        Description = $"Directory with the Fashion-MNIST IDX files (default: ${FashionMnist.EnvironmentVariable}, then {FashionMnist.SystemDirectory}, then the shipped subset)",
        HelpName = "dir",
        Recursive = true,
    };

    /// <summary>The data location for this run: the <c>--data-dir</c> value, or the library's search.</summary>
    internal DatasetLocation LocateData(ParseResult parseResult) =>
        FashionMnist.Locate(parseResult.GetValue(DataDir)?.FullName);
}
