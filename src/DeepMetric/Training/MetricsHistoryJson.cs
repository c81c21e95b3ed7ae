using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepMetric.Evaluation;

namespace DeepMetric.Training;

/// <summary>(De)serialises epoch results as JSON objects: one line of <c>metrics.jsonl</c> each, and the history in checkpoints.</summary>
internal static class MetricsHistoryJson
{
    /// <summary>One compact JSON object for <paramref name="r"/>.</summary>
    public static string Line(EpochResult r)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            Write(w, r);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A JSON array of every result.</summary>
    public static string Array(IEnumerable<EpochResult> results)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var r in results)
            {
                Write(w, r);
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parses an array written by <see cref="Array"/>.</summary>
    /// <exception cref="FormatException">The text is not such an array.</exception>
    public static List<EpochResult> Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var list = new List<EpochResult>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                list.Add(Read(e));
            }
            return list;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new FormatException($"The metrics history is not valid: {ex.Message}", ex);
        }
    }

    private static void Write(Utf8JsonWriter w, EpochResult r)
    {
        w.WriteStartObject();
        w.WriteNumber("epoch", r.Epoch);
        w.WriteNumber("iteration", r.Iteration);
        w.WriteNumber("iterations", r.Iterations);
        Number(w, "loss", r.MeanLoss);
        Number(w, "lr", r.LearningRate);
        if (r.MeanMinedTuples is double t)
        {
            Number(w, "mined_tuples", t);
        }
        else
        {
            w.WriteNull("mined_tuples");
        }
        Number(w, "samples_per_s", r.SamplesPerSecond);
        Number(w, "train_seconds", r.TrainSeconds);
        Number(w, "data_wait_seconds", r.DataWaitSeconds);
        if (r.Validation is { } m)
        {
            w.WriteStartObject("metrics");
            Number(w, "precision_at_1", m.PrecisionAt1);
            foreach (var (k, v) in m.RecallAt)
            {
                Number(w, "recall_at_" + k.ToString(CultureInfo.InvariantCulture), v);
            }
            Number(w, "r_precision", m.RPrecision);
            Number(w, "map_at_r", m.MapAtR);
            Number(w, "map", m.Map);
            Number(w, "mrr", m.Mrr);
            w.WriteNumber("queries", m.QueryCount);
            w.WriteEndObject();
            Number(w, "validation_seconds", r.ValidationSeconds);
            w.WriteBoolean("best", r.IsBest);
        }
        w.WriteEndObject();
    }

    // NaN (no valid query) is written as null, which JSON can represent.
    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static double Num(JsonElement e, string name) =>
        e.GetProperty(name) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : double.NaN;

    private static EpochResult Read(JsonElement e)
    {
        Metrics? metrics = null;
        if (e.TryGetProperty("metrics", out var m) && m.ValueKind == JsonValueKind.Object)
        {
            var recall = new SortedDictionary<int, double>();
            foreach (var p in m.EnumerateObject())
            {
                if (p.Name.StartsWith("recall_at_", StringComparison.Ordinal))
                {
                    recall[int.Parse(p.Name.AsSpan("recall_at_".Length), NumberStyles.None, CultureInfo.InvariantCulture)] =
                        p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : double.NaN;
                }
            }
            metrics = new Metrics(Num(m, "precision_at_1"), recall, Num(m, "r_precision"), Num(m, "map_at_r"), Num(m, "map"), Num(m, "mrr"),
                m.GetProperty("queries").GetInt32());
        }
        var tuples = e.GetProperty("mined_tuples");
        return new EpochResult(
            e.GetProperty("epoch").GetInt32(),
            e.GetProperty("iterations").GetInt32(),
            Num(e, "loss"),
            tuples.ValueKind == JsonValueKind.Number ? tuples.GetDouble() : null,
            Num(e, "samples_per_s"),
            Num(e, "train_seconds"),
            metrics,
            metrics is null ? 0 : Num(e, "validation_seconds"))
        {
            Iteration = e.GetProperty("iteration").GetInt64(),
            LearningRate = (float)Num(e, "lr"),
            IsBest = e.TryGetProperty("best", out var b) && b.ValueKind == JsonValueKind.True,
            // Absent from lines written before the loader measured it.
            DataWaitSeconds = e.TryGetProperty("data_wait_seconds", out var wait) && wait.ValueKind == JsonValueKind.Number ? wait.GetDouble() : 0,
        };
    }
}
