namespace DeepMetric.Reporting;

/// <summary>
/// A base-10 logarithmic map from a positive data interval to a pixel interval. Ticks are the powers
/// of ten inside the domain, with 2× and 5× multiples added when the domain spans fewer than two decades.
/// A zero-width domain is widened to [v/10, v·10].
/// </summary>
public sealed class LogScale : IAxisScale
{
    private readonly double _logMin;
    private readonly double _logMax;

    /// <summary>Creates a scale mapping [<paramref name="domainMin"/>, <paramref name="domainMax"/>] (both &gt; 0) onto [<paramref name="rangeMin"/>, <paramref name="rangeMax"/>].</summary>
    /// <exception cref="ArgumentException">A bound is not finite and positive, or <paramref name="domainMax"/> &lt; <paramref name="domainMin"/>.</exception>
    public LogScale(double domainMin, double domainMax, double rangeMin = 0, double rangeMax = 1)
    {
        if (!(domainMin > 0) || !(domainMax > 0) || !double.IsFinite(domainMin) || !double.IsFinite(domainMax))
        {
            throw new ArgumentException($"A log scale needs finite positive domain bounds, got [{domainMin}, {domainMax}].", nameof(domainMin));
        }
        if (domainMax < domainMin)
        {
            throw new ArgumentException($"domainMax ({domainMax}) must be ≥ domainMin ({domainMin}).", nameof(domainMax));
        }
        if (!double.IsFinite(rangeMin) || !double.IsFinite(rangeMax))
        {
            throw new ArgumentException($"Range bounds must be finite, got [{rangeMin}, {rangeMax}].", nameof(rangeMin));
        }
        if (domainMax == domainMin)
        {
            domainMin /= 10;
            domainMax *= 10;
        }
        DomainMin = domainMin;
        DomainMax = domainMax;
        RangeMin = rangeMin;
        RangeMax = rangeMax;
        _logMin = Math.Log10(domainMin);
        _logMax = Math.Log10(domainMax);
    }

    /// <inheritdoc/>
    public double DomainMin { get; }

    /// <inheritdoc/>
    public double DomainMax { get; }

    /// <inheritdoc/>
    public double RangeMin { get; }

    /// <inheritdoc/>
    public double RangeMax { get; }

    /// <summary>A scale over the finite positive values of <paramref name="values"/> (others skipped; [1, 10] when none).</summary>
    public static LogScale FromValues(IEnumerable<double> values, double rangeMin = 0, double rangeMax = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (v > 0 && double.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }
        return min > max ? new LogScale(1, 10, rangeMin, rangeMax) : new LogScale(min, max, rangeMin, rangeMax);
    }

    /// <inheritdoc/>
    public double Map(double value) => RangeMin + ((Math.Log10(value) - _logMin) / (_logMax - _logMin) * (RangeMax - RangeMin));

    /// <inheritdoc/>
    public bool CanMap(double value) => value > 0 && double.IsFinite(value);

    /// <summary>The same domain mapped onto a new pixel interval.</summary>
    public LogScale WithRange(double rangeMin, double rangeMax) => new(DomainMin, DomainMax, rangeMin, rangeMax);

    /// <summary>The domain widened outwards to powers of ten.</summary>
    public LogScale Nice() => new(Math.Pow(10, Math.Floor(_logMin + 1e-9)), Math.Pow(10, Math.Ceiling(_logMax - 1e-9)), RangeMin, RangeMax);

    /// <inheritdoc/>
    /// <remarks><paramref name="count"/> bounds the number of decades labelled: with many decades only every n-th power is kept.</remarks>
    public IReadOnlyList<double> Ticks(int count = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        int first = (int)Math.Floor(_logMin + 1e-9);
        int last = (int)Math.Ceiling(_logMax - 1e-9);
        var ticks = new List<double>();
        bool fine = _logMax - _logMin < 2;
        // Stride over decade intervals (not powers), so `count` decades plus the closing power are all labelled —
        // counting powers skipped every other decade of a 6-decade axis and left its top unlabelled.
        int stride = Math.Max(1, (int)Math.Ceiling((last - first) / (double)count));
        for (int e = first; e <= last; e++)
        {
            if (!fine && (e - first) % stride != 0)
            {
                continue;
            }
            double power = Power(e);
            ReadOnlySpan<double> multiples = fine ? [1, 2, 5] : [1];
            foreach (double m in multiples)
            {
                double t = m * power;
                if (t >= DomainMin * (1 - 1e-9) && t <= DomainMax * (1 + 1e-9))
                {
                    ticks.Add(t);
                }
            }
        }
        return ticks;
    }

    /// <inheritdoc/>
    public string FormatTick(double value, int count = 5)
    {
        double exponent = Math.Floor(Math.Log10(value) + 1e-9);
        return TickFormat.Format(value, Power((int)exponent));
    }

    // Exact decimal powers: 10^-3 as 1/1000 rather than Math.Pow's nearest neighbour.
    private static double Power(int e) => e >= 0 ? Math.Pow(10, e) : 1 / Math.Pow(10, -e);
}
