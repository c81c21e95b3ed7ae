using DeepMetric.Data.Images;

namespace DeepMetric.Reporting;

/// <summary>
/// Overlaid histograms of several value sets on shared bins, rendered as SVG; e.g. distances of positive
/// vs negative pairs, with an optional vertical marker at a decision threshold. Bars show the fraction of
/// each set per bin by default, so sets of very different sizes compare.
/// </summary>
public sealed class Histogram
{
    private readonly List<(string Name, double[] Values)> _sets = [];
    private readonly int _bins = 40;

    /// <summary>Title above the plot.</summary>
    public string? Title { get; init; }

    /// <summary>Title of the x axis.</summary>
    public string? XLabel { get; init; }

    /// <summary>Title of the y axis (defaults to "fraction" or "count").</summary>
    public string? YLabel { get; init; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; init; } = 640;

    /// <summary>Height in pixels.</summary>
    public int Height { get; init; } = 360;

    /// <summary>Number of bins (≥ 1).</summary>
    public int Bins
    {
        get => _bins;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Bins));
            _bins = value;
        }
    }

    /// <summary>Plot each set's fraction per bin (true) or raw counts (false).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Optional x position of a vertical dashed marker.</summary>
    public double? Threshold { get; init; }

    /// <summary>Label of the marker (defaults to "threshold = value").</summary>
    public string? ThresholdLabel { get; init; }

    /// <summary>Adds a named set of values (copied; non-finite values are ignored).</summary>
    public Histogram Add(string name, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        _sets.Add((name, values.ToArray()));
        return this;
    }

    /// <summary>
    /// Bins the finite values of <paramref name="values"/> inside [<paramref name="min"/>, <paramref name="max"/>]
    /// into <paramref name="bins"/> equal bins; bin i holds [min + i·w, min + (i+1)·w), the last bin also holds max.
    /// </summary>
    /// <exception cref="ArgumentException">The range is not finite with max &gt; min, or bins &lt; 1.</exception>
    public static HistogramBins Bin(ReadOnlySpan<double> values, double min, double max, int bins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(max > min))
        {
            throw new ArgumentException($"Bin range must be finite with max > min, got [{min}, {max}].", nameof(max));
        }
        var counts = new int[bins];
        int total = 0;
        double scale = bins / (max - min);
        foreach (double v in values)
        {
            if (!double.IsFinite(v) || v < min || v > max)
            {
                continue;
            }
            int b = Math.Min(bins - 1, (int)((v - min) * scale));
            counts[b]++;
            total++;
        }
        return new HistogramBins(min, max, counts, total);
    }

    /// <summary>Renders the histogram as an SVG document (deterministic).</summary>
    public string ToSvg()
    {
        var frame = new ChartFrame(Width, Height, _sets.Count > 0);
        var svg = new SvgBuilder().Begin(Width, Height);
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach ((_, double[] values) in _sets)
        {
            foreach (double v in values)
            {
                if (double.IsFinite(v))
                {
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                }
            }
        }
        if (Threshold is double t && double.IsFinite(t))
        {
            min = Math.Min(min, t);
            max = Math.Max(max, t);
        }
        if (min > max)
        {
            (min, max) = (0, 1);
        }
        if (max == min)
        {
            // Same widening as LinearScale so a constant set still gets visible bins.
            double half = min == 0 ? 1 : Math.Abs(min) / 10;
            min -= half;
            max += half;
        }

        // Round the x domain outwards to tick steps so both ends carry a label; bins cover the rounded domain.
        LinearScale x = new LinearScale(min, max).Nice(6).WithRange(frame.PlotLeft, frame.PlotRight);
        min = x.DomainMin;
        max = x.DomainMax;
        var binned = new List<HistogramBins>(_sets.Count);
        double top = 0;
        foreach ((_, double[] values) in _sets)
        {
            HistogramBins h = Bin(values, min, max, _bins);
            binned.Add(h);
            foreach (int c in h.Counts)
            {
                top = Math.Max(top, BarValue(c, h.Total));
            }
        }
        LinearScale y = new LinearScale(0, top > 0 ? top : 1).Nice().WithRange(frame.PlotBottom, frame.PlotTop);
        frame.DrawXAxis(svg, x, 6);
        frame.DrawYAxis(svg, y, 5);

        double binWidthPx = (frame.PlotRight - frame.PlotLeft) / _bins;
        var names = new List<string>();
        var colors = new List<string>();
        for (int k = 0; k < binned.Count; k++)
        {
            string color = ChartPalette.Color(k);
            names.Add(_sets[k].Name);
            colors.Add(color);
            HistogramBins h = binned[k];
            for (int b = 0; b < _bins; b++)
            {
                double value = BarValue(h.Counts[b], h.Total);
                double py = y.Map(value);
                svg.Rect(frame.PlotLeft + (b * binWidthPx), py, binWidthPx, frame.PlotBottom - py, color, "bin", 0.45);
            }
        }
        if (Threshold is double th && double.IsFinite(th))
        {
            double px = x.Map(th);
            svg.Line(px, frame.PlotTop, px, frame.PlotBottom, "#000000", 1.5, "threshold", "5,3");
            // On the side facing the plot centre, so a threshold near the right edge does not run into the legend.
            bool right = px > (frame.PlotLeft + frame.PlotRight) * 0.7;
            svg.Text(right ? px - 4 : px + 4, frame.PlotTop + 12, ThresholdLabel ?? $"threshold = {TickFormat.General(Math.Round(th, 4))}",
                right ? "end" : "start", "threshold-label", halo: true);
        }
        frame.DrawTitles(svg, Title, XLabel, YLabel ?? (Normalize ? "fraction" : "count"));
        if (names.Count > 0)
        {
            frame.DrawLegend(svg, names, colors, LegendMark.Box);
        }
        return svg.End();
    }

    private double BarValue(int count, int total) => Normalize ? (total > 0 ? count / (double)total : 0) : count;
}
