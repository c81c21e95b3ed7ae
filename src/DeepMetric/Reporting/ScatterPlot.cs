namespace DeepMetric.Reporting;

/// <summary>
/// A 2-D scatter plot of points coloured by integer class, with a legend of class names, rendered as SVG;
/// used for PCA and t-SNE maps of embeddings.
/// </summary>
public sealed class ScatterPlot
{
    private readonly double[] _x;
    private readonly double[] _y;
    private readonly int[] _labels;
    private readonly string[]? _classNames;

    /// <summary>Creates a plot of points (<paramref name="x"/>[i], <paramref name="y"/>[i]) with class <paramref name="labels"/>[i] ≥ 0.</summary>
    /// <param name="x">X coordinates.</param>
    /// <param name="y">Y coordinates.</param>
    /// <param name="labels">Class of each point, ≥ 0.</param>
    /// <param name="classNames">Optional name per class, indexed by label; labels print as numbers otherwise.</param>
    /// <exception cref="ArgumentException">Lengths differ, a label is negative, or a label has no name.</exception>
    public ScatterPlot(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels, IReadOnlyList<string>? classNames = null)
    {
        if (x.Length != y.Length || x.Length != labels.Length)
        {
            throw new ArgumentException($"x, y and labels must have the same length, got {x.Length}, {y.Length} and {labels.Length}.", nameof(labels));
        }
        foreach (int l in labels)
        {
            if (l < 0 || (classNames is not null && l >= classNames.Count))
            {
                throw new ArgumentException($"Label {l} is negative or has no class name (names: {classNames?.Count ?? 0}).", nameof(labels));
            }
        }
        _x = x.ToArray();
        _y = y.ToArray();
        _labels = labels.ToArray();
        _classNames = classNames is null ? null : [.. classNames];
    }

    /// <summary>Creates a plot from an N×2 row-major coordinate array such as t-SNE or PCA output.</summary>
    /// <param name="xy">Coordinates (x₀, y₀, x₁, y₁, …).</param>
    /// <param name="labels">Class of each point, ≥ 0.</param>
    /// <param name="classNames">Optional name per class, indexed by label.</param>
    /// <exception cref="ArgumentException"><paramref name="xy"/> is not twice as long as <paramref name="labels"/>, or a label is invalid.</exception>
    public ScatterPlot(ReadOnlySpan<float> xy, ReadOnlySpan<int> labels, IReadOnlyList<string>? classNames = null)
        : this(Column(xy, labels.Length, 0), Column(xy, labels.Length, 1), labels, classNames)
    {
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
    public int Height { get; init; } = 480;

    /// <summary>Dot radius in pixels.</summary>
    public double PointRadius { get; init; } = 2.5;

    private static double[] Column(ReadOnlySpan<float> xy, int n, int column)
    {
        if (xy.Length != 2L * n)
        {
            throw new ArgumentException($"Expected {2L * n} coordinates (N×2) for {n} labels, got {xy.Length}.", nameof(xy));
        }
        var result = new double[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = xy[(2 * i) + column];
        }
        return result;
    }

    /// <summary>Renders the plot as an SVG document (deterministic; non-finite points are left out).</summary>
    public string ToSvg()
    {
        var frame = new ChartFrame(Width, Height, true);
        var svg = new SvgBuilder().Begin(Width, Height);
        LinearScale x = LinearScale.FromValues(_x).Nice().WithRange(frame.PlotLeft, frame.PlotRight);
        LinearScale y = LinearScale.FromValues(_y).Nice().WithRange(frame.PlotBottom, frame.PlotTop);
        frame.DrawXAxis(svg, x, 6);
        frame.DrawYAxis(svg, y, 5);

        int classes = 0;
        foreach (int l in _labels)
        {
            classes = Math.Max(classes, l + 1);
        }
        var present = new bool[classes];
        for (int i = 0; i < _x.Length; i++)
        {
            if (!double.IsFinite(_x[i]) || !double.IsFinite(_y[i]))
            {
                continue;
            }
            present[_labels[i]] = true;
            svg.Circle(x.Map(_x[i]), y.Map(_y[i]), PointRadius, ChartPalette.Color(_labels[i]), "point", 0.8);
        }
        frame.DrawTitles(svg, Title, XLabel, YLabel);
        var names = new List<string>();
        var colors = new List<string>();
        for (int c = 0; c < classes; c++)
        {
            if (present[c])
            {
                names.Add(_classNames is null ? c.ToString(System.Globalization.CultureInfo.InvariantCulture) : _classNames[c]);
                colors.Add(ChartPalette.Color(c));
            }
        }
        frame.DrawLegend(svg, names, colors, LegendMark.Dot);
        return svg.End();
    }
}
