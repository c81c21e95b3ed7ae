namespace DeepMetric.Reporting;

/// <summary>The symbol drawn next to a legend label.</summary>
internal enum LegendMark
{
    /// <summary>A short line, for line series.</summary>
    Line,

    /// <summary>A filled square, for bars and histograms.</summary>
    Box,

    /// <summary>A dot, for scatter classes.</summary>
    Dot,
}
