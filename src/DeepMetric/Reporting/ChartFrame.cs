namespace DeepMetric.Reporting;

/// <summary>The layout shared by all charts: plot area, axes with ticks and grid lines, titles and a legend on the right.</summary>
internal sealed class ChartFrame
{
    private const double LeftMargin = 64;
    private const double TopMargin = 34;
    private const double BottomMargin = 46;
    private const double RightMargin = 18;
    private const double LegendWidth = 150;
    private const double LegendRow = 16;
    private const string AxisColor = "#333333";
    private const string GridColor = "#e3e3e3";

    public ChartFrame(int width, int height, bool legend, double leftMargin = LeftMargin)
    {
        int minWidth = legend ? 320 : 170;
        if (width < minWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, $"Chart width must be at least {minWidth} pixels.");
        }
        if (height < 140)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, "Chart height must be at least 140 pixels.");
        }
        Width = width;
        Height = height;
        PlotLeft = Math.Max(LeftMargin, leftMargin);
        PlotTop = TopMargin;
        PlotRight = width - RightMargin - (legend ? LegendWidth : 0);
        PlotBottom = height - BottomMargin;
    }

    public int Width { get; }

    /// <summary>
    /// A left margin wide enough for the tick labels of <paramref name="y"/> (about 7 px a character at 11 px) and the
    /// rotated axis title beside them, so long labels such as a learning rate's never run into the title.
    /// </summary>
    public static double LeftMarginFor(IAxisScale y, int tickCount)
    {
        int longest = y.Ticks(tickCount).Select(t => y.FormatTick(t, tickCount).Length).DefaultIfEmpty(0).Max();
        return Math.Max(LeftMargin, 30 + 7 + (7 * longest));
    }

    public int Height { get; }

    public double PlotLeft { get; }

    public double PlotRight { get; }

    public double PlotTop { get; }

    public double PlotBottom { get; }

    public void DrawTitles(SvgBuilder svg, string? title, string? xLabel, string? yLabel)
    {
        if (!string.IsNullOrEmpty(title))
        {
            svg.Text(Width / 2.0, 20, title, "middle", "title", fontSize: 14);
        }
        if (!string.IsNullOrEmpty(xLabel))
        {
            svg.Text((PlotLeft + PlotRight) / 2, Height - 10, xLabel, "middle", "axis-title", fontSize: 12);
        }
        if (!string.IsNullOrEmpty(yLabel))
        {
            svg.Text(16, (PlotTop + PlotBottom) / 2, yLabel, "middle", "axis-title", rotate: -90, fontSize: 12);
        }
    }

    public void DrawYAxis(SvgBuilder svg, IAxisScale y, int tickCount)
    {
        foreach (double t in y.Ticks(tickCount))
        {
            double py = y.Map(t);
            svg.Line(PlotLeft, py, PlotRight, py, GridColor, 1, "grid");
            svg.Line(PlotLeft - 4, py, PlotLeft, py, AxisColor, 1, "tick");
            svg.Text(PlotLeft - 7, py + 4, y.FormatTick(t, tickCount), "end", "tick-label");
        }
        svg.Line(PlotLeft, PlotTop, PlotLeft, PlotBottom, AxisColor, 1, "axis");
    }

    public void DrawXAxis(SvgBuilder svg, IAxisScale x, int tickCount)
    {
        foreach (double t in x.Ticks(tickCount))
        {
            double px = x.Map(t);
            svg.Line(px, PlotTop, px, PlotBottom, GridColor, 1, "grid");
            svg.Line(px, PlotBottom, px, PlotBottom + 4, AxisColor, 1, "tick");
            svg.Text(px, PlotBottom + 16, x.FormatTick(t, tickCount), "middle", "tick-label");
        }
        svg.Line(PlotLeft, PlotBottom, PlotRight, PlotBottom, AxisColor, 1, "axis");
    }

    /// <summary>Category labels centred under the given x positions.</summary>
    public void DrawCategoryAxis(SvgBuilder svg, IReadOnlyList<string> labels, ReadOnlySpan<double> centers)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            svg.Text(centers[i], PlotBottom + 16, labels[i], "middle", "tick-label");
        }
        svg.Line(PlotLeft, PlotBottom, PlotRight, PlotBottom, AxisColor, 1, "axis");
    }

    /// <summary>A legend right of the plot; entries that do not fit are summarised as "+N more".</summary>
    public void DrawLegend(SvgBuilder svg, IReadOnlyList<string> names, IReadOnlyList<string> colors, LegendMark mark)
    {
        double x = PlotRight + 14;
        double y = PlotTop + 4;
        int fit = Math.Max(1, (int)((PlotBottom - PlotTop) / LegendRow));
        int shown = names.Count <= fit ? names.Count : fit - 1;
        for (int i = 0; i < shown; i++)
        {
            double cy = y + (i * LegendRow);
            switch (mark)
            {
                case LegendMark.Line:
                    svg.Line(x, cy, x + 16, cy, colors[i], 2.5, "legend-mark");
                    break;
                case LegendMark.Dot:
                    svg.Circle(x + 8, cy, 4, colors[i], "legend-mark");
                    break;
                default:
                    svg.Rect(x + 2, cy - 5, 12, 10, colors[i], "legend-mark");
                    break;
            }
            svg.Text(x + 22, cy + 4, Truncate(names[i], 20), "start", "legend-label");
        }
        if (shown < names.Count)
        {
            svg.Text(x + 22, y + (shown * LegendRow) + 4, $"+{names.Count - shown} more", "start", "legend-label");
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max - 1), "…");
}
