using DeepMetric.Cli.Commands;
using Spectre.Console;

namespace DeepMetric.Cli;

/// <summary>What every command gets: where to write and the options shared across commands.</summary>
/// <param name="Console">Spectre.Console surface over standard output, for tables.</param>
/// <param name="Output">Standard output as plain text.</param>
/// <param name="Error">Standard error.</param>
/// <param name="Options">Options shared by several commands.</param>
internal sealed record CliContext(IAnsiConsole Console, TextWriter Output, TextWriter Error, CommonOptions Options)
{
    /// <summary>How often a long step prints a plain progress line when output is redirected (see <see cref="ProgressLine"/>).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(10);
}
