using System.Diagnostics;

namespace DeepMetric.Benchmarks;

/// <summary>Plain Stopwatch timing for the quick mode.</summary>
public static class Measure
{
    /// <summary>
    /// Runs <paramref name="action"/> a few times to warm up (and tier up the JIT), then repeats it until
    /// <paramref name="budget"/> is used or <paramref name="maxReps"/> runs are done; returns the fastest run in seconds.
    /// </summary>
    public static double BestSeconds(Action action, TimeSpan budget, int warmup = 2, int maxReps = 20)
    {
        ArgumentNullException.ThrowIfNull(action);
        for (int i = 0; i < warmup; i++)
        {
            action();
        }
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < maxReps && (i < 3 || total.Elapsed < budget); i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }

    /// <summary>The median of repeated timings (the upper one of the middle two for an even count).</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
