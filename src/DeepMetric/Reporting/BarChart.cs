namespace DeepMetric.Reporting;

/// <summary>
/// A grouped bar chart rendered as SVG: one group of bars per category (e.g. K in Recall@K), one bar per
/// added series (e.g. per run) side by side, with the values printed above the bars.
/// </summary>
public sealed class BarChart
{
    private readonly string[] _categories;
    private readonly List<ChartSeries> _series = [];

    /// <summary>Creates a chart with the given category labels along the x axis.</summary>
    /// <exception cref="ArgumentException">No categories.</exception>
    public BarChart(IReadOnlyList<string> categories)
    {
        ArgumentNullException.ThrowIfNull(categories);
        if (categories.Count == 0)
        {
            throw new ArgumentException("A bar chart needs at least one category.", nameof(categories));
        }
        _categories = [.. categories];
    }

    /// <summary>Title above the plot.</summary>
    public string? Title { get; init; }

    /// <summary>Title of the x axis.</summary>
    public string? XLabel { get; init; }

    /// <summary>Title of the y axis.</summary>
    public string? YLabel { get; init; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; init; } = 640;

    /// <summary>Height in pixels.</summary>
    public int Height { get; init; } = 360;

    /// <summary>Fixed top of the y axis (e.g. 1 for fractions); null chooses it from the data.</summary>
    public double? YMax { get; init; }

    /// <summary>Print each bar's value above it.</summary>
    public bool ShowValues { get; init; } = true;

    /// <summary>The category labels.</summary>
    public IReadOnlyList<string> Categories => _categories;

    /// <summary>Adds a series with one value per category (NaN draws no bar).</summary>
    /// <exception cref="ArgumentException">Wrong number of values.</exception>
    public BarChart Add(string name, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (values.Length != _categories.Length)
        {
            throw new ArgumentException($"Expected {_categories.Length} values (one per category), got {values.Length}.", nameof(values));
        }
        var x = new double[values.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = i;
        }
        _series.Add(new ChartSeries(name, x, values.ToArray()));
        return this;
    }

    /// <summary>Renders the chart as an SVG document (deterministic).</summary>
    public string ToSvg()
    {
        var frame = new ChartFrame(Width, Height, _series.Count > 1);
        var svg = new SvgBuilder().Begin(Width, Height);
        double min = 0, max = YMax ?? double.NegativeInfinity;
        foreach (ChartSeries s in _series)
        {
            foreach (double v in s.Y)
            {
                if (double.IsFinite(v))
                {
                    min = Math.Min(min, v);
                    if (YMax is null)
                    {
                        max = Math.Max(max, v);
                    }
                }
            }
        }
        if (!double.IsFinite(max) || max <= min)
        {
            max = min + 1;
        }
        LinearScale y = new LinearScale(min, max).Nice().WithRange(frame.PlotBottom, frame.PlotTop);
        frame.DrawYAxis(svg, y, 5);

        int groups = _categories.Length;
        double groupWidth = (frame.PlotRight - frame.PlotLeft) / groups;
        double inner = groupWidth * 0.8;
        int n = Math.Max(1, _series.Count);
        double barWidth = inner / n;
        var centers = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            centers[g] = frame.PlotLeft + ((g + 0.5) * groupWidth);
        }
        double zero = y.Map(0);
        for (int k = 0; k < _series.Count; k++)
        {
            ChartSeries s = _series[k];
            string color = ChartPalette.Color(k);
            for (int g = 0; g < groups; g++)
            {
                double v = s.Y[g];
                if (!double.IsFinite(v))
                {
                    continue;
                }
                double left = centers[g] - (inner / 2) + (k * barWidth);
                double top = Math.Min(zero, y.Map(v));
                double height = Math.Abs(y.Map(v) - zero);
                svg.Rect(left, top, barWidth * 0.92, height, color, "bar", title: $"{s.Name}, {_categories[g]}: {TickFormat.General(v)}");
                if (ShowValues)
                {
                    svg.Text(left + (barWidth * 0.46), top - 3, TickFormat.General(Math.Round(v, 3)), "middle", "bar-value", fontSize: 9);
                }
            }
        }
        frame.DrawCategoryAxis(svg, _categories, centers);
        frame.DrawTitles(svg, Title, XLabel, YLabel);
        if (_series.Count > 1)
        {
            var names = new List<string>();
            var colors = new List<string>();
            for (int k = 0; k < _series.Count; k++)
            {
                names.Add(_series[k].Name);
                colors.Add(ChartPalette.Color(k));
            }
            frame.DrawLegend(svg, names, colors, LegendMark.Box);
        }
        return svg.End();
    }
}
