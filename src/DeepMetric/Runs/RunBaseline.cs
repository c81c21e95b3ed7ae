using System.Text.Json;
using DeepMetric.Evaluation;
using DeepMetric.Training;

namespace DeepMetric.Runs;

/// <summary>
/// The retrieval metrics of the untrained network on the test data, measured once when a run starts and kept in
/// <see cref="RunDirectory.BaselineFile"/>, so a resumed run (whose network is no longer untrained) still compares
/// with the real starting point.
/// </summary>
/// <param name="PrecisionAt1">P@1.</param>
/// <param name="RecallAt">Recall@K by K.</param>
/// <param name="RPrecision">R-Precision.</param>
/// <param name="MapAtR">MAP@R.</param>
/// <param name="Map">MAP.</param>
/// <param name="Mrr">MRR.</param>
/// <param name="QueryCount">Queries averaged over.</param>
public sealed record RunBaseline(double PrecisionAt1, IReadOnlyDictionary<int, double> RecallAt, double RPrecision, double MapAtR, double Map, double Mrr, int QueryCount)
{
    /// <summary>The baseline of <paramref name="metrics"/>.</summary>
    public static RunBaseline From(Metrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return new RunBaseline(metrics.PrecisionAt1, new SortedDictionary<int, double>(metrics.RecallAt.ToDictionary()), metrics.RPrecision,
            metrics.MapAtR, metrics.Map, metrics.Mrr, metrics.QueryCount);
    }

    /// <summary>The metrics (without the per-class breakdown).</summary>
    public Metrics ToMetrics() => new(PrecisionAt1, RecallAt, RPrecision, MapAtR, Map, Mrr, QueryCount);

    /// <summary>Writes the baseline to <paramref name="path"/> atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RunDirectory.WriteTextAtomically(path, JsonSerializer.Serialize(this, RunJsonContext.Default.RunBaseline) + "\n");
    }

    /// <summary>Reads a baseline written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid baseline (the message names it).</exception>
    public static RunBaseline Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            var baseline = JsonSerializer.Deserialize(bytes, RunJsonContext.Default.RunBaseline);
            if (baseline is null || baseline.RecallAt is null || baseline.QueryCount < 0)
            {
                throw new InvalidDataException($"'{path}' is not a run baseline.");
            }
            return baseline;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid run baseline: {e.Message}", e);
        }
    }
}
