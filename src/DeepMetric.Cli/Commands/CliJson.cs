using System.Text;
using System.Text.Json;

namespace DeepMetric.Cli.Commands;

/// <summary>The one-line JSON objects the commands print with <c>--json</c> or write into a run directory.</summary>
internal static class CliJson
{
    /// <summary>A single JSON object (no indentation) whose members <paramref name="body"/> writes.</summary>
    public static string Object(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>A metric rounded to 6 decimals for the JSON output; a non-finite value becomes 0.</summary>
    public static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 6) : 0;
}
