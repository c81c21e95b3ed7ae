namespace DeepMetric.Reporting;

/// <summary>
/// A linear map from a data interval to a pixel interval, with "nice" axis ticks at multiples of
/// 1, 2 or 5 × 10^k. A zero-width domain is widened (to [v − |v|/10, v + |v|/10], or [−1, 1] at 0)
/// so that every scale maps to a non-empty interval.
/// </summary>
public sealed class LinearScale : IAxisScale
{
    /// <summary>Creates a scale mapping [<paramref name="domainMin"/>, <paramref name="domainMax"/>] onto [<paramref name="rangeMin"/>, <paramref name="rangeMax"/>].</summary>
    /// <exception cref="ArgumentException">A bound is not finite or <paramref name="domainMax"/> &lt; <paramref name="domainMin"/>.</exception>
    public LinearScale(double domainMin, double domainMax, double rangeMin = 0, double rangeMax = 1)
    {
        if (!double.IsFinite(domainMin) || !double.IsFinite(domainMax))
        {
            throw new ArgumentException($"Domain bounds must be finite, got [{domainMin}, {domainMax}].", nameof(domainMin));
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
            double half = domainMin == 0 ? 1 : Math.Abs(domainMin) / 10;
            domainMin -= half;
            domainMax += half;
        }
        DomainMin = domainMin;
        DomainMax = domainMax;
        RangeMin = rangeMin;
        RangeMax = rangeMax;
    }

    /// <inheritdoc/>
    public double DomainMin { get; }

    /// <inheritdoc/>
    public double DomainMax { get; }

    /// <inheritdoc/>
    public double RangeMin { get; }

    /// <inheritdoc/>
    public double RangeMax { get; }

    /// <summary>A scale over the finite values of <paramref name="values"/> (NaN and infinities skipped; [0, 1] when none).</summary>
    public static LinearScale FromValues(IEnumerable<double> values, double rangeMin = 0, double rangeMax = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (double.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }
        return min > max ? new LinearScale(0, 1, rangeMin, rangeMax) : new LinearScale(min, max, rangeMin, rangeMax);
    }

    /// <inheritdoc/>
    public double Map(double value) => RangeMin + ((value - DomainMin) / (DomainMax - DomainMin) * (RangeMax - RangeMin));

    /// <summary>The domain value at pixel position <paramref name="position"/>.</summary>
    public double Invert(double position) => DomainMin + ((position - RangeMin) / (RangeMax - RangeMin) * (DomainMax - DomainMin));

    /// <inheritdoc/>
    public bool CanMap(double value) => double.IsFinite(value);

    /// <summary>The same domain mapped onto a new pixel interval.</summary>
    public LinearScale WithRange(double rangeMin, double rangeMax) => new(DomainMin, DomainMax, rangeMin, rangeMax);

    /// <summary>The domain widened outwards to the nearest multiples of the tick step for <paramref name="count"/> ticks.</summary>
    public LinearScale Nice(int count = 5)
    {
        double step = TickStep(DomainMin, DomainMax, count);
        double min = Math.Floor((DomainMin / step) + 1e-9) * step;
        double max = Math.Ceiling((DomainMax / step) - 1e-9) * step;
        int digits = Math.Min(15, TickFormat.Decimals(step) + 2);
        return new LinearScale(Math.Round(min, digits), Math.Round(max, digits), RangeMin, RangeMax);
    }

    /// <summary>
    /// The tick spacing for about <paramref name="count"/> ticks over [<paramref name="min"/>, <paramref name="max"/>]:
    /// the raw step span/count rounded, in the logarithmic sense, to the nearest 1, 2, 5 or 10 × 10^k.
    /// </summary>
    public static double TickStep(double min, double max, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        double span = max - min;
        if (!(span > 0) || !double.IsFinite(span))
        {
            throw new ArgumentException($"Tick range must be finite and non-empty, got [{min}, {max}].", nameof(max));
        }
        double raw = span / count;
        double exponent = Math.Floor(Math.Log10(raw));
        double magnitude = Math.Pow(10, exponent);
        double r = raw / magnitude;
        // Boundaries are the geometric means of neighbouring factors: sqrt(2), sqrt(10), sqrt(50).
        double factor = r >= 7.0710678118654755 ? 10 : r >= 3.1622776601683795 ? 5 : r >= 1.4142135623730951 ? 2 : 1;
        return factor * magnitude;
    }

    /// <inheritdoc/>
    public IReadOnlyList<double> Ticks(int count = 5)
    {
        double step = TickStep(DomainMin, DomainMax, count);
        long first = (long)Math.Ceiling((DomainMin / step) - 1e-9);
        long last = (long)Math.Floor((DomainMax / step) + 1e-9);
        int digits = Math.Min(15, TickFormat.Decimals(step) + 2);
        var ticks = new List<double>((int)Math.Max(0, last - first + 1));
        for (long k = first; k <= last; k++)
        {
            // Rounding removes the binary noise of k·step (3 × 0.2 = 0.6000000000000001).
            double t = Math.Round(k * step, digits);
            ticks.Add(t == 0 ? 0 : t);
        }
        return ticks;
    }

    /// <inheritdoc/>
    public string FormatTick(double value, int count = 5) => TickFormat.Format(value, TickStep(DomainMin, DomainMax, count));
}
