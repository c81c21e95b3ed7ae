using System.CommandLine;
using System.Globalization;
using DeepMetric.Calibration;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric calibrate</c>: the precision/recall/F1 curve of "distance ≤ t ⇒ same label" over labelled pairs, and the
/// threshold for a target precision (or of best F1), saved next to the model for <c>dedup</c> and <see cref="Matcher"/>.
/// </summary>
internal static class CalibrateCommand
{
    internal const string AllPairs = "all";
    internal const string Sampled = "sampled";
    internal const string SameClass = "same-class";
    internal const string NearDuplicate = "near-duplicate";

    internal static Command Create(CliContext context)
    {
        var input = new LabelledEmbeddings.Options();
        var target = new Option<double?>("--target-precision")
        {
            Description = "Choose the largest threshold whose precision is at least this (0 < p ≤ 1); default: the threshold of best F1",
            HelpName = "p",
        };
        var pairs = new Option<string>("--pairs")
        {
            Description = $"'{AllPairs}': every pair among --max-items sampled items; '{Sampled}': --max-items positive pairs and --negatives-per-positive times as many negative pairs",
            DefaultValueFactory = _ => AllPairs,
            HelpName = "kind",
        };
        pairs.AcceptOnlyFromAmong(AllPairs, Sampled);
        var maxItems = new Option<int>("--max-items") { Description = "Items sampled (all) or positive pairs drawn (sampled)", DefaultValueFactory = _ => 2000, HelpName = "n" };
        var negatives = new Option<int>("--negatives-per-positive") { Description = "Negative pairs per positive pair (sampled)", DefaultValueFactory = _ => 1, HelpName = "n" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the pair sampling", DefaultValueFactory = _ => 0UL, HelpName = "n" };
        var output = new Option<FileInfo?>("--output") { Description = "Threshold file to write (default: next to the model, <model>.threshold.json)", HelpName = "file" };
        var json = new Option<bool>("--json") { Description = "Print only one JSON line with the chosen threshold" };
        var kind = new Option<string>("--kind")
        {
            Description = "What the labels mean: 'same-class' (classes; a threshold for matching/verification) or 'near-duplicate' (each label is one item's group of copies; a threshold for dedup)",
            DefaultValueFactory = _ => SameClass,
            HelpName = "kind",
        };
        kind.AcceptOnlyFromAmong(SameClass, NearDuplicate);

        var command = new Command("calibrate", "Choose a match distance threshold from labelled pairs (target precision or best F1) and save it next to the model.");
        input.AddTo(command);
        command.Add(target);
        command.Add(pairs);
        command.Add(maxItems);
        command.Add(negatives);
        command.Add(seed);
        command.Add(output);
        command.Add(json);
        command.Add(kind);
        command.SetAction(parseResult =>
        {
            double? t = parseResult.GetValue(target);
            if (t is double p && !(p > 0 && p <= 1))
            {
                throw new UsageException(Invariant($"--target-precision must be in (0, 1], got {p}."));
            }
            int items = parseResult.GetValue(maxItems);
            if (items < 2)
            {
                throw new UsageException($"--max-items must be at least 2, got {items}.");
            }
            int perPositive = parseResult.GetValue(negatives);
            if (perPositive < 1)
            {
                // Without negatives every threshold has precision 1: the "calibration" would measure nothing.
                throw new UsageException($"--negatives-per-positive must be at least 1 (without negative pairs precision is trivially 1), got {perPositive}.");
            }
            var data = LabelledEmbeddings.Load(context, parseResult, input);
            var sampling = parseResult.GetValue(pairs) == Sampled ? PairSampling.PositivesAndSampledNegatives : PairSampling.AllPairs;
            for (int i = 0; i < data.Labels.Length; i++)
            {
                if (data.Labels[i] < 0)
                {
                    throw new UsageException($"Row {i} ('{data.Ids[i]}') has no label; calibration needs a label on every item.");
                }
            }
            var labelled = LabelledPairs.FromLabelledSet(data.Vectors, data.Dimension, data.Labels, data.Metric, sampling, items, parseResult.GetValue(seed), perPositive);
            var curve = labelled.Curve();
            string source = sampling == PairSampling.AllPairs
                ? Invariant($"all pairs of {Math.Min(items, data.Labels.Length)} of {data.Labels.Length} items, seed {parseResult.GetValue(seed)}")
                : Invariant($"{items} positive and {(long)items * perPositive} negative sampled pairs from {data.Labels.Length} items, seed {parseResult.GetValue(seed)}");
            var chosen = CalibratedThreshold.FromCurve(curve, data.Metric, t);
            if (chosen is null)
            {
                // The work ran but has no answer: a failure, with what was reachable.
                string why = t is double p2
                    ? Invariant($"no threshold reaches precision {p2}: the highest precision on these pairs is {curve.MaxPrecision:F4}")
                    : "no threshold has a positive F1 (there is no same-label pair)";
                throw new InvalidOperationException($"{why} ({curve.PositiveCount} matching, {curve.NegativeCount} non-matching pairs).");
            }
            chosen = chosen with
            {
                Model = data.Model,
                Source = source,
                Kind = parseResult.GetValue(kind) == NearDuplicate ? ThresholdKind.NearDuplicate : ThresholdKind.SameClass,
            };
            string path = parseResult.GetValue(output)?.FullName ?? CalibratedThreshold.PathFor(data.ModelPath);
            chosen.Save(path);
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(Json(chosen, path));
                return CliApp.Success;
            }
            context.Output.WriteLine(Invariant($"{curve.PositiveCount:N0} matching and {curve.NegativeCount:N0} non-matching pairs ({source}), metric {data.Metric}"));
            context.Console.Write(CurveTable(curve, chosen.Threshold));
            context.Output.WriteLine(chosen.ToString());
            context.Output.WriteLine($"saved to {path}");
            if (chosen.Kind == ThresholdKind.SameClass)
            {
                context.Output.WriteLine("this is a same-class threshold (labels were classes): use it to match items of one class; 'dedup' needs a near-duplicate threshold (calibrate --kind near-duplicate on labels that group copies of one item, or dedup --threshold).");
            }
            return CliApp.Success;
        });
        return command;
    }

    /// <summary>About ten evenly spaced points of the curve plus the chosen one.</summary>
    private static Table CurveTable(ThresholdCurve curve, float chosen)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("precision / recall over thresholds");
        table.AddColumn(new TableColumn("threshold").RightAligned());
        table.AddColumn(new TableColumn("precision").RightAligned());
        table.AddColumn(new TableColumn("recall").RightAligned());
        table.AddColumn(new TableColumn("F1").RightAligned());
        table.AddColumn("");
        int count = curve.Points.Count;
        int step = Math.Max(1, count / 10);
        for (int i = 0; i < count; i++)
        {
            var p = curve.Points[i];
            bool isChosen = p.Threshold == chosen;
            if (i % step == 0 || i == count - 1 || isChosen)
            {
                table.AddRow(Invariant($"{p.Threshold:G6}"), Invariant($"{p.Precision:F4}"), Invariant($"{p.Recall:F4}"), Invariant($"{p.F1:F4}"), isChosen ? "← chosen" : "");
            }
        }
        return table;
    }

    private static string Json(CalibratedThreshold t, string path) =>
        CliJson.Object(w =>
        {
            w.WriteString("kind", CalibratedThreshold.KindName(t.Kind));
            w.WriteNumber("threshold", t.Threshold);
            w.WriteString("metric", t.Metric.ToString());
            w.WriteString("method", t.Method.ToString());
            if (t.TargetPrecision is double target)
            {
                w.WriteNumber("target_precision", target);
            }
            w.WriteNumber("precision", Math.Round(t.Precision, 6));
            w.WriteNumber("recall", Math.Round(t.Recall, 6));
            w.WriteNumber("f1", Math.Round(t.F1, 6));
            w.WriteNumber("positive_pairs", t.PositivePairs);
            w.WriteNumber("negative_pairs", t.NegativePairs);
            w.WriteString("file", path);
        });

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
