namespace DeepMetric.Reporting;

/// <summary>
/// A line chart of one or more named series rendered as a standalone SVG string: axes with nice ticks,
/// grid, axis titles, a legend, optional logarithmic y axis and optional exponential-moving-average
/// smoothing (the raw curve is then drawn faintly behind the smoothed one), as used for loss curves.
/// </summary>
public sealed class LineChart
{
    private readonly List<ChartSeries> _series = [];
    private double _smoothing;

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

    /// <summary>Logarithmic y axis; non-positive values are then left out.</summary>
    public bool LogY { get; init; }

    /// <summary>EMA weight in [0, 1): 0 draws the raw values only; 0.9 smooths strongly.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1).</exception>
    public double Smoothing
    {
        get => _smoothing;
        init
        {
            if (!(value >= 0 && value < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(Smoothing), value, "Smoothing must be in [0, 1).");
            }
            _smoothing = value;
        }
    }

    /// <summary>The series added so far.</summary>
    public IReadOnlyList<ChartSeries> Series => _series;

    /// <summary>Adds a series (copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> and <paramref name="y"/> differ in length.</exception>
    public LineChart Add(string name, ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (x.Length != y.Length)
        {
            throw new ArgumentException($"x has {x.Length} values but y has {y.Length}.", nameof(y));
        }
        _series.Add(new ChartSeries(name, x.ToArray(), y.ToArray()));
        return this;
    }

    /// <summary>Adds a series with x = 0, 1, 2, ….</summary>
    public LineChart Add(string name, ReadOnlySpan<double> y)
    {
        var x = new double[y.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = i;
        }
        return Add(name, x, y);
    }

    /// <summary>
    /// Exponential moving average s₀ = y₀, sₜ = w·sₜ₋₁ + (1 − w)·yₜ. Non-finite inputs give NaN at their
    /// position and do not disturb the average.
    /// </summary>
    public static double[] ExponentialMovingAverage(ReadOnlySpan<double> values, double weight)
    {
        if (!(weight >= 0 && weight < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "EMA weight must be in [0, 1).");
        }
        var result = new double[values.Length];
        double s = double.NaN;
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (!double.IsFinite(v))
            {
                result[i] = double.NaN;
                continue;
            }
            s = double.IsNaN(s) ? v : (weight * s) + ((1 - weight) * v);
            result[i] = s;
        }
        return result;
    }

    /// <summary>Renders the chart as an SVG document (deterministic: same data, same bytes).</summary>
    public string ToSvg()
    {
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (ChartSeries s in _series)
        {
            for (int i = 0; i < s.X.Count; i++)
            {
                if (double.IsFinite(s.X[i]) && double.IsFinite(s.Y[i]) && (!LogY || s.Y[i] > 0))
                {
                    xs.Add(s.X[i]);
                    ys.Add(s.Y[i]);
                }
            }
        }
        IAxisScale domain = LogY ? LogScale.FromValues(ys).Nice() : LinearScale.FromValues(ys).Nice();
        var frame = new ChartFrame(Width, Height, _series.Count > 0, ChartFrame.LeftMarginFor(domain, 5));
        var svg = new SvgBuilder().Begin(Width, Height);
        LinearScale x = LinearScale.FromValues(xs).WithRange(frame.PlotLeft, frame.PlotRight);
        IAxisScale y = LogY
            ? LogScale.FromValues(ys).Nice().WithRange(frame.PlotBottom, frame.PlotTop)
            : LinearScale.FromValues(ys).Nice().WithRange(frame.PlotBottom, frame.PlotTop);

        frame.DrawXAxis(svg, x, 6);
        frame.DrawYAxis(svg, y, 5);

        var names = new List<string>(_series.Count);
        var colors = new List<string>(_series.Count);
        for (int k = 0; k < _series.Count; k++)
        {
            ChartSeries s = _series[k];
            string color = ChartPalette.Color(k);
            names.Add(s.Name);
            colors.Add(color);
            double[] raw = [.. s.Y];
            if (_smoothing > 0)
            {
                DrawPath(svg, s, raw, x, y, color, 1, "series-raw", 0.25);
                DrawPath(svg, s, ExponentialMovingAverage(raw, _smoothing), x, y, color, 2, "series", 1);
            }
            else
            {
                DrawPath(svg, s, raw, x, y, color, 2, "series", 1);
            }
        }
        frame.DrawTitles(svg, Title, XLabel, YLabel);
        if (_series.Count > 0)
        {
            frame.DrawLegend(svg, names, colors, LegendMark.Line);
        }
        return svg.End();
    }

    private static void DrawPath(SvgBuilder svg, ChartSeries s, double[] values, LinearScale x, IAxisScale y, string color, double width, string cssClass, double opacity)
    {
        var px = new double[values.Length];
        var py = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bool ok = x.CanMap(s.X[i]) && y.CanMap(values[i]);
            px[i] = ok ? x.Map(s.X[i]) : double.NaN;
            py[i] = ok ? y.Map(values[i]) : double.NaN;
        }
        svg.Path(px, py, color, width, cssClass, s.Name, opacity);
    }
}
