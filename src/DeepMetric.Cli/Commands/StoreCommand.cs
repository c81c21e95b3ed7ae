using System.CommandLine;
using System.Globalization;
using DeepMetric.Search;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric store FILE</c>: what an embedding store (or a flat index, which is one) holds — rows, dimension,
/// metric, metadata — and its rows (row number, id, label), so ids and row numbers for <c>search --id</c> are visible.
/// The checksum is verified first.
/// </summary>
internal static class StoreCommand
{
    internal static Command Create(CliContext context)
    {
        var file = new Argument<FileInfo>("file") { Description = "Embedding store (.dme, from 'embed') or flat index file" };
        var limit = new Option<int>("--limit", "-n") { Description = "Rows to list; 0 lists every row", DefaultValueFactory = _ => 10, HelpName = "n" };
        var offset = new Option<int>("--offset") { Description = "First row to list", DefaultValueFactory = _ => 0, HelpName = "row" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the summary and the listed rows" };
        var command = new Command("store", "Show an embedding store: rows, dimension, metric, metadata, and its ids and labels by row number (for 'search --id').")
        {
            file, limit, offset, json,
        };
        command.SetAction(parseResult =>
        {
            int n = parseResult.GetValue(limit);
            int first = parseResult.GetValue(offset);
            if (n < 0)
            {
                throw new UsageException($"--limit must be 0 (every row) or positive, got {n}.");
            }
            if (first < 0)
            {
                throw new UsageException($"--offset must be 0 or positive, got {first}.");
            }
            string path = parseResult.GetValue(file)!.FullName;
            using var store = EmbeddingStore.Open(path, verifyChecksum: true);
            int end = n == 0 ? store.Count : (int)Math.Min(store.Count, (long)first + n);
            first = Math.Min(first, store.Count);
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(CliJson.Object(w =>
                {
                    w.WriteString("file", path);
                    w.WriteNumber("rows", store.Count);
                    w.WriteNumber("dimension", store.Dimension);
                    w.WriteString("metric", store.Metadata.Metric.ToString());
                    w.WriteString("model", store.Metadata.Model);
                    w.WriteString("normalization", store.Metadata.Normalization);
                    w.WriteStartObject("properties");
                    foreach (var (key, value) in store.Metadata.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        w.WriteString(key, value);
                    }
                    w.WriteEndObject();
                    w.WriteStartArray("items");
                    for (int row = first; row < end; row++)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("row", row);
                        w.WriteString("id", store.GetId(row));
                        w.WriteNumber("label", store.GetLabel(row));
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }));
                return CliApp.Success;
            }
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{path}: {store.Count:N0} × {store.Dimension} embeddings, metric {store.Metadata.Metric}, normalization {(store.Metadata.Normalization.Length > 0 ? store.Metadata.Normalization : "none")}, checksum OK"));
            if (store.Metadata.Model.Length > 0)
            {
                context.Output.WriteLine($"model: {store.Metadata.Model}");
            }
            foreach (var (key, value) in store.Metadata.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                context.Output.WriteLine($"{key}: {value}");
            }
            var table = new Table().Border(TableBorder.Rounded);
            table.AddColumn(new TableColumn("row").RightAligned());
            table.AddColumn("id");
            table.AddColumn(new TableColumn("label").RightAligned());
            for (int row = first; row < end; row++)
            {
                table.AddRow(row.ToString(CultureInfo.InvariantCulture), Markup.Escape(store.GetId(row)), store.GetLabel(row).ToString(CultureInfo.InvariantCulture));
            }
            context.Console.Write(table);
            if (end < store.Count || first > 0)
            {
                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rows {first}-{Math.Max(first, end - 1)} of {store.Count:N0} (--offset/--limit for others, --limit 0 for all); 'search --id' takes an id or a row number"));
            }
            return CliApp.Success;
        });
        return command;
    }
}
