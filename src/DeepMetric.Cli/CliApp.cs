using System.CommandLine;
using System.CommandLine.Invocation;
using DeepMetric.Cli.Commands;
using DeepMetric.Training;
using Spectre.Console;

namespace DeepMetric.Cli;

/// <summary>Builds the <c>deepmetric</c> command tree and runs it with uniform error handling.</summary>
internal static class CliApp
{
    /// <summary>The tool's command name (the assembly is DeepMetric.Cli).</summary>
    internal const string Name = "deepmetric";

    /// <summary>Exit code of a successful run.</summary>
    internal const int Success = 0;

    /// <summary>Exit code when the work itself failed (missing or corrupt data, I/O errors...).</summary>
    internal const int Failure = 1;

    /// <summary>Exit code for bad arguments.</summary>
    internal const int UsageError = 2;

    /// <summary>Parses <paramref name="args"/> and runs the command, writing results to <paramref name="output"/>.</summary>
    /// <returns>The process exit code.</returns>
    internal static int Run(string[] args, TextWriter output, TextWriter error) => Run(args, output, error, progressInterval: null);

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>, with the interval of plain progress lines (tests use zero).</summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error, TimeSpan? progressInterval)
    {
        var context = new CliContext(CreateConsole(output), output, error, new CommonOptions());
        if (progressInterval is TimeSpan interval)
        {
            context = context with { ProgressInterval = interval };
        }
        var root = BuildRootCommand(context);
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        var parsed = root.Parse(args);

        if (parsed.Action is ParseErrorAction)
        {
            // One line rather than the library's error-plus-full-help block.
            var messages = parsed.Errors.Select(e => e.Message);
            var command = parsed.CommandResult.Command == root ? Name : $"{Name} {parsed.CommandResult.Command.Name}";
            return Fail(error, $"{string.Join("; ", messages)} (see '{command} --help')", UsageError);
        }

        // With --json the caller parses standard output, so a failure is a JSON object there too (and the line on stderr).
        TextWriter? json = args.Contains("--json", StringComparer.Ordinal) ? output : null;
        try
        {
            return parsed.Invoke(config);
        }
        catch (UsageException e)
        {
            return Fail(error, e.Message, UsageError, json);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException
                                       or InvalidOperationException or ArgumentException)
        {
            // DirectoryNotFoundException and FileNotFoundException are IOExceptions.
            return Fail(error, e.Message, Failure, json);
        }
    }

    /// <summary>
    /// The command tree. Each command lives in its own file under Commands/ and is registered here;
    /// <c>train</c> and <c>eval</c> go next to <c>info</c> and <c>data</c>.
    /// </summary>
    internal static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand("deepmetric: deep metric learning for .NET — inspect data, train and evaluate embedding models.");
        root.Add(context.Options.DataDir);

        root.Add(InfoCommand.Create(context));
        root.Add(DataCommand.Create(context));
        root.Add(TrainCommand.Create(context));
        root.Add(EvalCommand.Create(context));
        root.Add(RecipesCommand.Create(context));
        root.Add(EmbedCommand.Create(context));
        root.Add(ExportCommand.Create(context));
        root.Add(IndexCommand.Create(context));
        root.Add(SearchCommand.Create(context));
        root.Add(StoreCommand.Create(context));
        root.Add(FewShotCommand.Create(context));
        root.Add(CalibrateCommand.Create(context));
        root.Add(DedupCommand.Create(context));
        root.Add(ReportCommand.Create(context));
        root.Add(BackbonesCommand.Create(context));
        // Saved backbone models (train --backbone) load wherever weights are read: eval, embed, report, export.
        ModelLoader.RegisterLoader(Onnx.Backbones.Backbone.Load);

        // With no command, show the help rather than an error.
        root.SetAction(parseResult => root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = context.Output }));
        return root;
    }

    private static int Fail(TextWriter error, string message, int exitCode, TextWriter? json = null)
    {
        // Messages can hold new lines and tabs; the contract is one line on stderr.
        string line = string.Join(' ', message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        error.WriteLine($"{Name}: error: {line}");
        json?.WriteLine(CliJson.Object(w =>
        {
            w.WriteStartObject("error");
            w.WriteString("message", line);
            w.WriteString("kind", exitCode == UsageError ? "usage" : "failure");
            w.WriteNumber("exit_code", exitCode);
            w.WriteEndObject();
        }));
        return exitCode;
    }

    private static IAnsiConsole CreateConsole(TextWriter output) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(output),
        // Escape codes only on a real terminal: piped output and test writers get plain text.
        Ansi = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
    });
}
