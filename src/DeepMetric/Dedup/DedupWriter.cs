using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepMetric.Internal;

namespace DeepMetric.Dedup;

/// <summary>Writes a <see cref="DedupResult"/> as CSV or JSON, atomically (temporary file, then rename).</summary>
public static class DedupWriter
{
    /// <summary>The CSV header line.</summary>
    public const string CsvHeader = "group,representative,id,row,distance_to_representative";

    /// <summary>
    /// One line per member of every group (RFC 4180 quoting, UTF-8, '\n' line ends): the group number (from 0, in result
    /// order), the representative's id, the member's id, its input row and its distance to the representative (shortest
    /// round-trip float). Unique items are not listed.
    /// </summary>
    public static void WriteCsv(DedupResult result, string path) => Write(path, stream => WriteCsv(result, stream));

    /// <summary>As <see cref="WriteCsv(DedupResult, string)"/>, to a stream.</summary>
    public static void WriteCsv(DedupResult result, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        w.WriteLine(CsvHeader);
        for (int g = 0; g < result.Groups.Count; g++)
        {
            var group = result.Groups[g];
            string rep = Quote(group.Representative);
            for (int m = 0; m < group.Size; m++)
            {
                w.Write(g.ToString(CultureInfo.InvariantCulture));
                w.Write(',');
                w.Write(rep);
                w.Write(',');
                w.Write(Quote(group.Ids[m]));
                w.Write(',');
                w.Write(group.Rows[m].ToString(CultureInfo.InvariantCulture));
                w.Write(',');
                w.WriteLine(group.DistancesToRepresentative[m].ToString("R", CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>
    /// A JSON object: <c>items</c>, <c>threshold</c>, <c>metric</c>, <c>index</c>, <c>exact_copies</c>, <c>near_pairs</c>,
    /// <c>group_count</c>, <c>redundant_items</c>, then <c>groups</c>: an array of
    /// <c>{"representative", "size", "members": [{"id", "row", "distance"}]}</c>.
    /// </summary>
    public static void WriteJson(DedupResult result, string path) => Write(path, stream => WriteJson(result, stream));

    /// <summary>As <see cref="WriteJson(DedupResult, string)"/>, to a stream.</summary>
    public static void WriteJson(DedupResult result, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(stream);
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("items", result.ItemCount);
            w.WriteNumber("threshold", result.Threshold);
            w.WriteString("metric", result.Metric.ToString());
            w.WriteString("index", result.IndexKind.ToString());
            w.WriteNumber("exact_copies", result.ExactCopies);
            w.WriteNumber("near_pairs", result.NearPairs);
            w.WriteNumber("group_count", result.Groups.Count);
            w.WriteNumber("redundant_items", result.RedundantItems);
            w.WriteStartArray("groups");
            foreach (var group in result.Groups)
            {
                w.WriteStartObject();
                w.WriteString("representative", group.Representative);
                w.WriteNumber("size", group.Size);
                w.WriteStartArray("members");
                for (int m = 0; m < group.Size; m++)
                {
                    w.WriteStartObject();
                    w.WriteString("id", group.Ids[m]);
                    w.WriteNumber("row", group.Rows[m]);
                    w.WriteNumber("distance", group.DistancesToRepresentative[m]);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stream.Write("\n"u8);
    }

    private static void Write(string path, Action<Stream> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new AtomicFile(path);
        body(file.Stream);
        file.Commit();
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
