using System.Globalization;
using System.Text.Json;
using DeepMetric.Search;

using DeepMetric.Internal;

namespace DeepMetric.Calibration;

/// <summary>
/// A distance threshold chosen on a <see cref="ThresholdCurve"/>, with the scores it had there; saved as a small JSON
/// file next to the model (see <see cref="PathFor"/>) so that <see cref="Matcher"/> and deduplication reuse it.
/// A pair matches when its distance is ≤ <see cref="Threshold"/>.
/// </summary>
/// <param name="Threshold">The distance threshold (inclusive).</param>
/// <param name="Metric">The distance the threshold applies to.</param>
/// <param name="Precision">Precision at the threshold on the calibration pairs.</param>
/// <param name="Recall">Recall at the threshold on the calibration pairs.</param>
/// <param name="F1">F1 at the threshold on the calibration pairs.</param>
/// <param name="Method">How the threshold was chosen.</param>
/// <param name="TargetPrecision">The target for <see cref="CalibrationMethod.TargetPrecision"/>, otherwise null.</param>
/// <param name="PositivePairs">Matching pairs measured.</param>
/// <param name="NegativePairs">Non-matching pairs measured.</param>
public sealed record CalibratedThreshold(
    float Threshold, VectorMetric Metric, double Precision, double Recall, double F1, CalibrationMethod Method, double? TargetPrecision,
    long PositivePairs, long NegativePairs)
{
    /// <summary>The <c>format</c> value of the JSON file.</summary>
    public const string FormatName = "deepmetric-threshold";

    /// <summary>The current file version.</summary>
    public const int FormatVersion = 1;

    /// <summary>
    /// What the threshold separates: same class (the default, and what files without a <c>kind</c> hold) or near-duplicates.
    /// Deduplication should use only a <see cref="ThresholdKind.NearDuplicate"/> threshold.
    /// </summary>
    public ThresholdKind Kind { get; init; } = ThresholdKind.SameClass;

    /// <summary>The <c>kind</c> value of the JSON file for <paramref name="kind"/>: <c>same-class</c> or <c>near-duplicate</c>.</summary>
    public static string KindName(ThresholdKind kind) => kind == ThresholdKind.NearDuplicate ? "near-duplicate" : "same-class";

    /// <summary>Model the embeddings came from (free text, may be empty).</summary>
    public string Model { get; init; } = string.Empty;

    /// <summary>How the pairs were obtained (free text, e.g. "all pairs of 2000 sampled items").</summary>
    public string Source { get; init; } = string.Empty;

    /// <summary>
    /// Calibrates on <paramref name="curve"/>: with <paramref name="targetPrecision"/>, <see cref="ThresholdCurve.ForTargetPrecision"/>,
    /// otherwise <see cref="ThresholdCurve.BestF1"/>. Null when the target is unreachable (or, for best F1, when there is no matching pair).
    /// </summary>
    public static CalibratedThreshold? FromCurve(ThresholdCurve curve, VectorMetric metric, double? targetPrecision = null)
    {
        ArgumentNullException.ThrowIfNull(curve);
        var point = targetPrecision is double t ? curve.ForTargetPrecision(t) : curve.BestF1();
        return point is { } p
            ? new CalibratedThreshold(p.Threshold, metric, p.Precision, p.Recall, p.F1,
                targetPrecision is null ? CalibrationMethod.BestF1 : CalibrationMethod.TargetPrecision, targetPrecision, curve.PositiveCount, curve.NegativeCount)
            : null;
    }

    /// <summary>Where the threshold of the model at <paramref name="modelPath"/> lives: the same name with the extension <c>.threshold.json</c>.</summary>
    public static string PathFor(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return Path.ChangeExtension(modelPath, ".threshold.json");
    }

    /// <summary>Writes the threshold as JSON, atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new AtomicFile(path);
        using (var w = new Utf8JsonWriter(file.Stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("version", FormatVersion);
            w.WriteString("kind", KindName(Kind));
            w.WriteNumber("threshold", Threshold);
            w.WriteString("metric", Metric.ToString());
            w.WriteString("method", Method.ToString());
            if (TargetPrecision is double t)
            {
                w.WriteNumber("target_precision", t);
            }
            w.WriteNumber("precision", Precision);
            w.WriteNumber("recall", Recall);
            w.WriteNumber("f1", F1);
            w.WriteNumber("positive_pairs", PositivePairs);
            w.WriteNumber("negative_pairs", NegativePairs);
            w.WriteString("model", Model);
            w.WriteString("source", Source);
            w.WriteEndObject();
        }
        file.Stream.Write("\n"u8);
        file.Commit();
    }

    /// <summary>Reads a file written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON, not a threshold file, has another version, or a field is missing or invalid.</exception>
    public static CalibratedThreshold Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}': not a valid threshold file ({e.Message}).", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            SearchIO.Check(root.ValueKind == JsonValueKind.Object, path, "not a threshold file (expected a JSON object).");
            SearchIO.Check(root.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String && format.GetString() == FormatName,
                path, $"not a threshold file (expected \"format\": \"{FormatName}\").");
            int version = (int)Number(root, "version", path);
            SearchIO.Check(version == FormatVersion, path, $"threshold file version {version} is not supported (this library reads version {FormatVersion}).");
            double threshold = Number(root, "threshold", path);
            SearchIO.Check(Math.Abs(threshold) <= float.MaxValue, path, "'threshold' is out of the float range.");
            var metric = Enum<VectorMetric>(root, "metric", path);
            var method = Enum<CalibrationMethod>(root, "method", path);
            double? target = null;
            if (method == CalibrationMethod.TargetPrecision)
            {
                target = Number(root, "target_precision", path);
                SearchIO.Check(target > 0 && target <= 1, path, "'target_precision' must be in (0, 1].");
            }
            double precision = Fraction(root, "precision", path);
            double recall = Fraction(root, "recall", path);
            double f1 = Fraction(root, "f1", path);
            double positives = Number(root, "positive_pairs", path);
            double negatives = Number(root, "negative_pairs", path);
            SearchIO.Check(positives >= 0 && negatives >= 0 && positives == Math.Floor(positives) && negatives == Math.Floor(negatives),
                path, "pair counts must be non-negative integers.");
            // Files written before thresholds had a kind were all calibrated on class labels.
            var kind = ThresholdKind.SameClass;
            if (root.TryGetProperty("kind", out var k))
            {
                string? name = k.ValueKind == JsonValueKind.String ? k.GetString() : null;
                SearchIO.Check(name is "same-class" or "near-duplicate", path, "'kind' must be \"same-class\" or \"near-duplicate\".");
                kind = name == "near-duplicate" ? ThresholdKind.NearDuplicate : ThresholdKind.SameClass;
            }
            return new CalibratedThreshold((float)threshold, metric, precision, recall, f1, method, target, (long)positives, (long)negatives)
            {
                Kind = kind,
                Model = Text(root, "model", path),
                Source = Text(root, "source", path),
            };
        }
    }

    private static double Number(JsonElement root, string name, string path)
    {
        SearchIO.Check(root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double v) && double.IsFinite(v),
            path, $"'{name}' is missing or not a finite number.");
        return e.GetDouble();
    }

    private static double Fraction(JsonElement root, string name, string path)
    {
        double v = Number(root, name, path);
        SearchIO.Check(v is >= 0 and <= 1, path, string.Create(CultureInfo.InvariantCulture, $"'{name}' must be in [0, 1], got {v}."));
        return v;
    }

    private static string Text(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var e))
        {
            return string.Empty;
        }
        SearchIO.Check(e.ValueKind == JsonValueKind.String, path, $"'{name}' must be a string.");
        return e.GetString()!;
    }

    private static T Enum<T>(JsonElement root, string name, string path)
        where T : struct, Enum
    {
        T value = default;
        SearchIO.Check(root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String
            && System.Enum.TryParse(e.GetString(), ignoreCase: false, out value) && System.Enum.IsDefined(value)
            && !char.IsDigit(e.GetString()![0]), path, $"'{name}' is missing or not one of {string.Join(", ", System.Enum.GetNames<T>())}.");
        return value;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{KindName(Kind)} threshold {Threshold:G6} ({Metric}, {Method}{(TargetPrecision is double t ? $" {t:G4}" : "")}): precision {Precision:F4}, recall {Recall:F4}, F1 {F1:F4} on {PositivePairs} matching + {NegativePairs} non-matching pairs");
}
