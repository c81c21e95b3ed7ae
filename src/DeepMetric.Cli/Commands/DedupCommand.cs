using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DeepMetric.Calibration;
using DeepMetric.Dedup;
using DeepMetric.Search;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric dedup</c>: near-duplicate groups (connected components of the pairs within a distance threshold) over a
/// store or a dataset embedded by a model, written as CSV or JSON.
/// </summary>
internal static class DedupCommand
{
    internal const string Csv = "csv";
    internal const string JsonFormat = "json";

    internal static Command Create(CliContext context)
    {
        var input = new LabelledEmbeddings.Options();
        var threshold = new Option<float?>("--threshold") { Description = "Distance threshold (inclusive); default: the calibrated one (--calibration)", HelpName = "d" };
        var calibration = new Option<FileInfo?>("--calibration")
        {
            Description = "Threshold file from 'calibrate' (default: <model>.threshold.json next to the store or weights)",
            HelpName = "file",
        };
        var index = new Option<string>("--index") { Description = "'flat': exact pair search; 'hnsw': approximate (faster on large sets, may miss pairs)", DefaultValueFactory = _ => "flat", HelpName = "kind" };
        index.AcceptOnlyFromAmong("flat", "hnsw");
        var format = new Option<string>("--format") { Description = "Output format: 'csv' (one line per group member) or 'json'", DefaultValueFactory = _ => Csv, HelpName = "name" };
        format.AcceptOnlyFromAmong(Csv, JsonFormat);
        var output = new Option<FileInfo?>("--output") { Description = "File to write (written atomically); default: standard output", HelpName = "file" };
        var allowSameClass = new Option<bool>("--allow-same-class")
        {
            Description = "Use a calibrated same-class threshold anyway (it groups items of one class, not copies; normally refused)",
        };

        var command = new Command("dedup", "Find near-duplicate groups: every pair within a distance threshold, grouped by connected components, one representative (the first in input order) per group.");
        input.AddTo(command);
        command.Add(threshold);
        command.Add(calibration);
        command.Add(index);
        command.Add(format);
        command.Add(output);
        command.Add(allowSameClass);
        command.SetAction(parseResult =>
        {
            float? given = parseResult.GetValue(threshold);
            var calibrationFile = parseResult.GetValue(calibration);
            if (given is float g && !float.IsFinite(g))
            {
                throw new UsageException("--threshold must be a finite number.");
            }
            if (given is not null && calibrationFile is not null)
            {
                throw new UsageException("Give --threshold or --calibration, not both.");
            }
            var data = LabelledEmbeddings.Load(context, parseResult, input);
            float chosen;
            string origin;
            if (given is float t)
            {
                chosen = t;
                origin = "--threshold";
            }
            else
            {
                string path = calibrationFile?.FullName ?? CalibratedThreshold.PathFor(data.ModelPath);
                if (!File.Exists(path))
                {
                    throw new UsageException($"No threshold: pass --threshold, or run 'deepmetric calibrate' first (looked for '{path}').");
                }
                var calibrated = CalibratedThreshold.Load(path);
                if (calibrated.Metric != data.Metric)
                {
                    throw new UsageException($"The threshold in '{path}' is for {calibrated.Metric} distances but the embeddings use {data.Metric}.");
                }
                if (calibrated.Kind != ThresholdKind.NearDuplicate)
                {
                    if (!parseResult.GetValue(allowSameClass))
                    {
                        throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                            $"'{path}' holds a same-class threshold ({calibrated.Threshold:G6}, calibrated on class labels): it would merge whole classes into duplicate groups. Pass --threshold D, calibrate with --kind near-duplicate on labels that group copies of one item, or add --allow-same-class."));
                    }
                    context.Error.WriteLine($"{CliApp.Name}: warning: using the same-class threshold of '{path}' (--allow-same-class): groups are items of one class, not only copies.");
                }
                chosen = calibrated.Threshold;
                origin = $"{CalibratedThreshold.KindName(calibrated.Kind)} threshold in {path}";
            }
            var kind = parseResult.GetValue(index) == "hnsw" ? VectorIndexKind.Hnsw : VectorIndexKind.Flat;
            long start = Stopwatch.GetTimestamp();
            var result = new Deduplicator(new DedupOptions(chosen, kind)).Run(data.Ids, data.Vectors, data.Dimension, data.Metric);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            bool json = parseResult.GetValue(format) == JsonFormat;
            var file = parseResult.GetValue(output);
            string summary = string.Create(CultureInfo.InvariantCulture,
                $"{result.ItemCount:N0} items, threshold {chosen:G6} ({data.Metric}, from {origin}), {kind} index: {result.Groups.Count:N0} groups, {result.RedundantItems:N0} redundant items ({result.ExactCopies:N0} exact copies, {result.NearPairs:N0} near pairs) in {seconds:F2} s");
            if (file is null)
            {
                // Standard output carries the groups; the threshold used goes to standard error.
                context.Error.WriteLine($"{CliApp.Name}: dedup: {summary}");
                using var stdout = new MemoryStream();
                if (json)
                {
                    DedupWriter.WriteJson(result, stdout);
                }
                else
                {
                    DedupWriter.WriteCsv(result, stdout);
                }
                context.Output.Write(System.Text.Encoding.UTF8.GetString(stdout.ToArray()));
                return CliApp.Success;
            }
            if (json)
            {
                DedupWriter.WriteJson(result, file.FullName);
            }
            else
            {
                DedupWriter.WriteCsv(result, file.FullName);
            }
            context.Output.WriteLine(summary);
            context.Output.WriteLine($"written to {file.FullName}");
            return CliApp.Success;
        });
        return command;
    }
}
