using System.CommandLine;
using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Reporting;
using DeepMetric.Training;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric report RUN_DIR [RUN_DIR ...]</c>: writes a self-contained HTML report of one or more training runs
/// (see <see cref="ReportBuilder"/>), evaluated on the Fashion-MNIST test images, or with <c>--data</c> on that source's
/// test images (In-Shop: its queries ranked among its gallery).
/// </summary>
internal static class ReportCommand
{
    internal static Command Create(CliContext context)
    {
        var runs = new Argument<DirectoryInfo[]>("run-dir") { Description = "Run directories written by 'deepmetric train --run-dir'", Arity = ArgumentArity.OneOrMore };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "HTML file to write (default: report.html in the run directory; required for several runs)", HelpName = "file" };
        var png = new Option<DirectoryInfo?>("--png") { Description = "Also export every chart as PNG into this directory (needs Chromium)", HelpName = "dir" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the report's samples (map points, pairs, queries, t-SNE)", DefaultValueFactory = _ => 0UL, HelpName = "n" };
        var command = new Command("report", "Write a self-contained HTML report (metrics, curves, embedding maps, distances, neighbours) of one or more runs.")
        {
            runs, output, png, seed,
        };
        var dataSource = new DataSourceOptions(context.Options);
        dataSource.AddTo(command);
        command.SetAction(parseResult =>
        {
            var dirs = parseResult.GetValue(runs) ?? [];
            string? target = parseResult.GetValue(output)?.FullName;
            if (target is null)
            {
                if (dirs.Length > 1)
                {
                    throw new UsageException("several run directories need --output (where to write the comparison report).");
                }
                target = Path.Combine(dirs[0].FullName, RunDirectory.ReportFile);
            }
            string? pngDir = parseResult.GetValue(png)?.FullName;
            if (pngDir is not null && HeadlessChromium.FindExecutable() is null)
            {
                throw new UsageException("--png needs Chromium (looked for /usr/bin/chromium and /usr/bin/chromium-browser); install it with 'apt-get install -y chromium', or leave out --png.");
            }
            ReportBuilder builder;
            if (parseResult.GetResult(dataSource.Data) is { Implicit: false })
            {
                // The first run's model sets the image size and colour the test images are read at.
                var model = ModelLoader.Load(Path.Combine(dirs[0].FullName, RunDirectory.ModelFile), null, null);
                var data = dataSource.Load(parseResult, model);
                builder = Write([.. dirs.Select(d => d.FullName)], data.Test, null, data.Description + "; " + data.Evaluation.Describe(),
                    target, parseResult.GetValue(seed), data.Reference);
            }
            else
            {
                builder = Write([.. dirs.Select(d => d.FullName)], context.Options.LocateData(parseResult), target, parseResult.GetValue(seed));
            }
            context.Output.WriteLine($"report: {target}");
            if (pngDir is not null)
            {
                var files = builder.ExportPng(pngDir);
                context.Output.WriteLine($"charts: {files.Count} PNG files in {pngDir}");
            }
            return CliApp.Success;
        });
        return command;
    }

    /// <summary>Loads the runs and the test data and writes the report atomically; errors are one-line exceptions.</summary>
    /// <returns>The builder, holding the report's charts for PNG export.</returns>
    internal static ReportBuilder Write(IReadOnlyList<string> runDirs, DatasetLocation location, string target, ulong seed)
    {
        var split = FashionMnist.Load(location);
        var unseen = split.OpenSetSplit().Test;
        return Write(runDirs, unseen, split.SeenClassesSplit().Test,
            $"Fashion-MNIST test split from {DatasetSummary.Describe(location)}; {new QueryReferenceSets(unseen).Describe()}", target, seed);
    }

    /// <summary>Writes the report of <paramref name="runDirs"/> evaluated on the given unseen (and optionally seen) test data.</summary>
    internal static ReportBuilder Write(IReadOnlyList<string> runDirs, IDataset unseen, IDataset? seen, string dataDescription, string target, ulong seed, IDataset? reference = null)
    {
        var runs = new List<ReportRun>(runDirs.Count);
        foreach (string dir in runDirs)
        {
            try
            {
                runs.Add(ReportRun.Load(dir));
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                throw new InvalidDataException($"report: {e.Message}", e);
            }
        }
        var builder = new ReportBuilder(unseen, seen)
        {
            Seed = seed,
            DataDescription = dataDescription,
            Reference = reference,
        };
        string? parent = Path.GetDirectoryName(Path.GetFullPath(target));
        if (parent is not null)
        {
            Directory.CreateDirectory(parent);
        }
        builder.Write(runs, target);
        return builder;
    }
}
