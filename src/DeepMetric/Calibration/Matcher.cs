using DeepMetric.Distances;
using DeepMetric.Search;

namespace DeepMetric.Calibration;

/// <summary>
/// Decides whether two embeddings show the same thing: a match when their distance is at most a (calibrated) threshold.
/// </summary>
public sealed class Matcher
{
    /// <summary>A matcher with the threshold and metric of a calibration (e.g. <see cref="CalibratedThreshold.Load"/>).</summary>
    public Matcher(CalibratedThreshold calibration)
        : this((calibration ?? throw new ArgumentNullException(nameof(calibration))).Threshold, calibration.Metric)
    {
    }

    /// <summary>A matcher with an explicit threshold.</summary>
    /// <exception cref="ArgumentException">The threshold is NaN or infinite, or the metric is unknown.</exception>
    public Matcher(float threshold, VectorMetric metric)
    {
        if (!float.IsFinite(threshold))
        {
            throw new ArgumentException($"The threshold must be finite, got {threshold}.", nameof(threshold));
        }
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), $"Unknown metric {metric}.");
        }
        Threshold = threshold;
        Metric = metric;
    }

    /// <summary>Pairs at distance ≤ this value match.</summary>
    public float Threshold { get; }

    /// <summary>The distance compared with <see cref="Threshold"/>.</summary>
    public VectorMetric Metric { get; }

    /// <summary>True when <c>Distance(a, b) ≤ Threshold</c>.</summary>
    public bool IsMatch(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Distance(Metric, a, b) <= Threshold;

    /// <summary>
    /// The stored items of <paramref name="index"/> that match <paramref name="query"/>, closest first, at most
    /// <paramref name="maxResults"/>: the top <paramref name="maxResults"/> neighbours filtered by the threshold (so with an
    /// <see cref="HnswIndex"/> a match the graph search misses is missed here too).
    /// </summary>
    /// <exception cref="ArgumentException">The index uses another metric than the matcher.</exception>
    public VectorHit[] GetMatches(ReadOnlySpan<float> query, IVectorIndex index, int maxResults)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResults, 1);
        if (index.Metric != Metric)
        {
            throw new ArgumentException($"The index compares with {index.Metric} but the threshold is for {Metric}.", nameof(index));
        }
        var hits = index.Search(query, maxResults);
        int n = 0;
        while (n < hits.Length && hits[n].Distance <= Threshold)
        {
            n++;
        }
        return n == hits.Length ? hits : hits[..n];
    }

    /// <summary>
    /// The distance between two vectors as the indexes report it (<see cref="VectorMetric"/>): Euclidean, 1 − cosine
    /// (1 when either vector is zero) or the negative inner product.
    /// </summary>
    /// <exception cref="ArgumentException">The vectors differ in length or are empty.</exception>
    public static float Distance(VectorMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.IsEmpty)
        {
            throw new ArgumentException($"Expected two non-empty vectors of equal length, got {a.Length} and {b.Length}.", nameof(b));
        }
        switch (metric)
        {
            case VectorMetric.L2:
                return MathF.Sqrt(VectorKernels.L2Squared(a, b));
            case VectorMetric.Cosine:
                double na = VectorKernels.Dot(a, a);
                double nb = VectorKernels.Dot(b, b);
                if (na == 0 || nb == 0)
                {
                    return 1f;
                }
                return (float)(1.0 - (VectorKernels.Dot(a, b) / Math.Sqrt(na * nb)));
            case VectorMetric.InnerProduct:
                return -VectorKernels.Dot(a, b);
            default:
                throw new ArgumentOutOfRangeException(nameof(metric), $"Unknown metric {metric}.");
        }
    }
}
