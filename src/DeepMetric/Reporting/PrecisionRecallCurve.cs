namespace DeepMetric.Reporting;

/// <summary>
/// Precision/recall of the rule "same class iff distance ≤ t" over all thresholds t, and its chart with an
/// optional marker at a chosen threshold.
/// </summary>
public sealed class PrecisionRecallCurve
{
    private readonly List<(string Name, PrecisionRecallPoint[] Points)> _curves = [];

    /// <summary>Title above the plot.</summary>
    public string? Title { get; init; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; init; } = 480;

    /// <summary>Height in pixels.</summary>
    public int Height { get; init; } = 400;

    /// <summary>Threshold to mark on the first curve (the point with the nearest threshold), or null.</summary>
    public double? ChosenThreshold { get; init; }

    /// <summary>
    /// One point per distinct distance (ascending), predicting "same" for distance ≤ that value. Ties are
    /// taken together, so a threshold never splits equal distances. NaN distances are skipped.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static PrecisionRecallPoint[] Compute(ReadOnlySpan<double> distances, ReadOnlySpan<bool> isPositive)
    {
        if (distances.Length != isPositive.Length)
        {
            throw new ArgumentException($"distances ({distances.Length}) and isPositive ({isPositive.Length}) must have the same length.", nameof(isPositive));
        }
        int n = 0;
        for (int i = 0; i < distances.Length; i++)
        {
            n += double.IsNaN(distances[i]) ? 0 : 1;
        }
        var d = new double[n];
        var pos = new bool[n];
        int totalPositive = 0;
        for (int i = 0, j = 0; i < distances.Length; i++)
        {
            if (!double.IsNaN(distances[i]))
            {
                d[j] = distances[i];
                pos[j] = isPositive[i];
                totalPositive += isPositive[i] ? 1 : 0;
                j++;
            }
        }
        // Stable order for equal keys is irrelevant: ties are consumed as one group below.
        Array.Sort(d, pos);
        var points = new List<PrecisionRecallPoint>();
        int tp = 0;
        for (int i = 0; i < n;)
        {
            double t = d[i];
            while (i < n && d[i] == t)
            {
                tp += pos[i] ? 1 : 0;
                i++;
            }
            double precision = tp / (double)i;
            double recall = totalPositive > 0 ? tp / (double)totalPositive : 0;
            points.Add(new PrecisionRecallPoint(t, precision, recall));
        }
        return [.. points];
    }

    /// <summary>Adds a curve from <see cref="Compute"/>.</summary>
    public PrecisionRecallCurve Add(string name, IReadOnlyList<PrecisionRecallPoint> points)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(points);
        _curves.Add((name, [.. points]));
        return this;
    }

    /// <summary>Renders precision (y) against recall (x) as an SVG document (deterministic).</summary>
    public string ToSvg()
    {
        var frame = new ChartFrame(Width, Height, _curves.Count > 0);
        var svg = new SvgBuilder().Begin(Width, Height);
        var x = new LinearScale(0, 1, frame.PlotLeft, frame.PlotRight);
        var y = new LinearScale(0, 1, frame.PlotBottom, frame.PlotTop);
        frame.DrawXAxis(svg, x, 5);
        frame.DrawYAxis(svg, y, 5);
        var names = new List<string>();
        var colors = new List<string>();
        for (int k = 0; k < _curves.Count; k++)
        {
            (string name, PrecisionRecallPoint[] points) = _curves[k];
            string color = ChartPalette.Color(k);
            names.Add(name);
            colors.Add(color);
            var px = new List<double>();
            var py = new List<double>();
            double lastR = double.NaN, lastP = double.NaN;
            for (int i = 0; i < points.Length; i++)
            {
                PrecisionRecallPoint p = points[i];
                // Millions of pairs give millions of points; keep those that move the line by ≥ 0.1 %.
                bool keep = i == 0 || i == points.Length - 1 || Math.Abs(p.Recall - lastR) >= 1e-3 || Math.Abs(p.Precision - lastP) >= 1e-3;
                if (keep)
                {
                    px.Add(x.Map(p.Recall));
                    py.Add(y.Map(p.Precision));
                    lastR = p.Recall;
                    lastP = p.Precision;
                }
            }
            svg.Path([.. px], [.. py], color, 2, "series", name);
        }
        if (ChosenThreshold is double t && _curves.Count > 0 && _curves[0].Points.Length > 0)
        {
            PrecisionRecallPoint best = _curves[0].Points[0];
            foreach (PrecisionRecallPoint p in _curves[0].Points)
            {
                if (Math.Abs(p.Threshold - t) < Math.Abs(best.Threshold - t))
                {
                    best = p;
                }
            }
            double cx = x.Map(best.Recall), cy = y.Map(best.Precision);
            svg.Circle(cx, cy, 5, "#000000", "threshold", title: $"threshold {TickFormat.General(t)}: precision {TickFormat.General(Math.Round(best.Precision, 4))}, recall {TickFormat.General(Math.Round(best.Recall, 4))}");
            // Below the marker, on the side facing the plot centre: the curves hug the top and right edges, and a
            // label right of a high-recall marker ran into the legend.
            bool right = cx > (frame.PlotLeft + frame.PlotRight) / 2;
            svg.Text(right ? cx - 8 : cx + 8, cy + 18, $"t = {TickFormat.General(Math.Round(t, 4))}", right ? "end" : "start", "threshold-label", halo: true);
        }
        frame.DrawTitles(svg, Title, "Recall", "Precision");
        if (names.Count > 0)
        {
            frame.DrawLegend(svg, names, colors, LegendMark.Line);
        }
        return svg.End();
    }
}
