using System.Globalization;
using DeepMetric.Evaluation;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// The result of <c>train</c> beside its two baselines on the same test set: the raw pixels (no network) and the
/// untrained network; and a one-line headline saying whether training helped.
/// </summary>
internal static class BaselineTable
{
    /// <summary>A table with one row per metric and the columns raw pixels, untrained, trained.</summary>
    internal static Table Create(string title, Metrics raw, Metrics untrained, Metrics trained, IReadOnlyList<int> ks)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        table.AddColumn("metric");
        table.AddColumn(new TableColumn("raw pixels").RightAligned());
        table.AddColumn(new TableColumn("untrained").RightAligned());
        table.AddColumn(new TableColumn("trained").RightAligned());
        void Row(string name, Func<Metrics, double> value) =>
            table.AddRow(name, Invariant($"{value(raw):F4}"), Invariant($"{value(untrained):F4}"), Invariant($"{value(trained):F4}"));
        Row("P@1", m => m.PrecisionAt1);
        foreach (int k in ks)
        {
            Row($"R@{k}", m => m.Recall(k));
        }
        Row("R-Precision", m => m.RPrecision);
        Row("MAP@R", m => m.MapAtR);
        return table;
    }

    /// <summary>One line: the trained MAP@R and P@1 against the better baseline, on <paramref name="what"/>.</summary>
    internal static string Headline(string what, Metrics raw, Metrics untrained, Metrics trained)
    {
        double best = Math.Max(raw.MapAtR, untrained.MapAtR);
        string verdict = trained.MapAtR > best ? "training helped" : "training did not beat the baselines";
        string ratio = raw.MapAtR > 0 ? Invariant($", {trained.MapAtR / raw.MapAtR:F1}× raw pixels") : "";
        return Invariant(
            $"{verdict} on {what}: MAP@R {trained.MapAtR:F3} (untrained {untrained.MapAtR:F3}, raw pixels {raw.MapAtR:F3}{ratio}); P@1 {trained.PrecisionAt1:F3} (untrained {untrained.PrecisionAt1:F3}, raw pixels {raw.PrecisionAt1:F3})");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
