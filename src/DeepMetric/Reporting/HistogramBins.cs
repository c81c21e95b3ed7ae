namespace DeepMetric.Reporting;

/// <summary>Counts of values in equal-width bins over [<paramref name="Min"/>, <paramref name="Max"/>].</summary>
/// <param name="Min">Left edge of the first bin.</param>
/// <param name="Max">Right edge of the last bin (inclusive).</param>
/// <param name="Counts">Values per bin.</param>
/// <param name="Total">Number of values binned (finite values inside the range).</param>
public sealed record HistogramBins(double Min, double Max, IReadOnlyList<int> Counts, int Total)
{
    /// <summary>Width of one bin.</summary>
    public double BinWidth => (Max - Min) / Counts.Count;
}
