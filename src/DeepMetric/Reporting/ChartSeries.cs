namespace DeepMetric.Reporting;

/// <summary>A named sequence of (x, y) points; NaN values leave a gap in the drawn line.</summary>
/// <param name="Name">Legend label.</param>
/// <param name="X">X values.</param>
/// <param name="Y">Y values, same length as <paramref name="X"/>.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);
