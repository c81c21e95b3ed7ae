using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepMetric.Calibration;
using DeepMetric.Training;

namespace DeepMetric.Reporting;

/// <summary>
/// What a training run directory (<see cref="RunDirectory"/>) holds for a report: the configuration, the final
/// metrics, the per-epoch history, the per-iteration log, an optional calibrated threshold and the model file.
/// </summary>
public sealed class ReportRun
{
    /// <summary>Name of the optional calibration file whose <c>threshold</c> number marks the chosen distance threshold.</summary>

    private ReportRun(string directory, IReadOnlyDictionary<string, string> config, IReadOnlyDictionary<string, double> finalMetrics,
        IReadOnlyList<EpochResult> epochs, IReadOnlyList<IterationRecord> iterations, double? threshold, string modelPath)
    {
        Directory = directory;
        Config = config;
        FinalMetrics = finalMetrics;
        Epochs = epochs;
        Iterations = iterations;
        Threshold = threshold;
        ModelPath = modelPath;
    }

    /// <summary>The run directory (full path).</summary>
    public string Directory { get; }

    /// <summary>Short display name: the directory's name.</summary>
    public string Name => Path.GetFileName(Directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));

    /// <summary>The entries of <c>config.json</c> (strings as they are, other values as their JSON text).</summary>
    public IReadOnlyDictionary<string, string> Config { get; }

    /// <summary>The numeric entries of <c>metrics.json</c> (empty when the file is absent).</summary>
    public IReadOnlyDictionary<string, double> FinalMetrics { get; }

    /// <summary>The per-epoch history of <c>metrics.jsonl</c> (empty when absent).</summary>
    public IReadOnlyList<EpochResult> Epochs { get; }

    /// <summary>The per-iteration log of <c>iterations.jsonl</c> (empty when absent).</summary>
    public IReadOnlyList<IterationRecord> Iterations { get; }

    /// <summary>
    /// The calibrated distance threshold written by <c>deepmetric calibrate</c> next to the model
    /// (<see cref="CalibratedThreshold.PathFor"/>), or null when there is none or it cannot be read.
    /// </summary>
    public double? Threshold { get; }

    /// <summary>The untrained network's test metrics recorded when the run started (<see cref="RunDirectory.BaselineFile"/>), or null.</summary>
    public Runs.RunBaseline? Baseline { get; private init; }

    /// <summary>The model weights: <c>model.safetensors</c>, else <see cref="RunDirectory.FinalWeightsFile"/>.</summary>
    public string ModelPath { get; }

    /// <summary>A config entry, or null.</summary>
    public string? Setting(string key) => Config.TryGetValue(key, out string? v) ? v : null;

    /// <summary>Reads a run directory.</summary>
    /// <param name="directory">The run directory written by <c>deepmetric train --run-dir</c>.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">config.json or the model is missing, or a file is corrupt.</exception>
    public static ReportRun Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string dir = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"Run directory '{directory}' does not exist.");
        }
        string configPath = Path.Combine(dir, RunDirectory.ConfigFile);
        if (!File.Exists(configPath))
        {
            throw new InvalidDataException($"'{directory}' is not a run directory: it has no {RunDirectory.ConfigFile}.");
        }
        var config = ReadObject(configPath, e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText());
        string metricsPath = Path.Combine(dir, RunDirectory.SummaryFile);
        var metrics = File.Exists(metricsPath)
            ? ReadObject(metricsPath, e => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN)
            : new Dictionary<string, double>();
        string model = Path.Combine(dir, RunDirectory.ModelFile);
        if (!File.Exists(model))
        {
            model = Path.Combine(dir, RunDirectory.FinalWeightsFile);
            if (!File.Exists(model))
            {
                throw new InvalidDataException($"'{directory}' has no model weights ({RunDirectory.ModelFile} or {RunDirectory.FinalWeightsFile}); did training finish?");
            }
        }
        return new ReportRun(dir, config, metrics, ReadEpochs(Path.Combine(dir, RunDirectory.MetricsFile)),
            IterationLog.Read(Path.Combine(dir, RunDirectory.IterationsFile)), ReadThreshold(CalibratedThreshold.PathFor(model)), model)
        {
            Baseline = ReadBaseline(Path.Combine(dir, RunDirectory.BaselineFile)),
        };
    }

    private static Dictionary<string, T> ReadObject<T>(string path, Func<JsonElement, T> value)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{path}' is not a JSON object.");
            }
            var result = new Dictionary<string, T>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                result[p.Name] = value(p.Value);
            }
            return result;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }

    private static List<EpochResult> ReadEpochs(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        // The lines are the objects of the checkpoint's history array, so the same parser reads them.
        var array = new StringBuilder("[");
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length > 0)
            {
                array.Append(array.Length > 1 ? "," : "").Append(line);
            }
        }
        try
        {
            return MetricsHistoryJson.Parse(array.Append(']').ToString());
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"'{path}' is corrupt: {e.Message}", e);
        }
    }

    private static Runs.RunBaseline? ReadBaseline(string path)
    {
        // Optional like the threshold: runs from before baselines were kept have none.
        try
        {
            return File.Exists(path) ? Runs.RunBaseline.Load(path) : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static double? ReadThreshold(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        // Calibration is optional for a report: an unreadable file is ignored rather than failing the report.
        try
        {
            return CalibratedThreshold.Load(path).Threshold;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>The config entry parsed as an integer, or null.</summary>
    internal int? IntSetting(string key) =>
        int.TryParse(Setting(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;
}
