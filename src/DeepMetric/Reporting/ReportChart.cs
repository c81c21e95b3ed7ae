namespace DeepMetric.Reporting;

/// <summary>One chart of a report: its file-name stem, SVG document and size in pixels.</summary>
/// <param name="Name">A file-name-safe stem, unique within the report (e.g. <c>run1-loss</c>).</param>
/// <param name="Svg">The SVG document.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record ReportChart(string Name, string Svg, int Width, int Height);
