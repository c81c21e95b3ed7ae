namespace DeepMetric.Reporting;

/// <summary>A mapping from data values (the domain) to pixel positions (the range), with axis ticks.</summary>
public interface IAxisScale
{
    /// <summary>Smallest domain value.</summary>
    double DomainMin { get; }

    /// <summary>Largest domain value.</summary>
    double DomainMax { get; }

    /// <summary>Pixel position of <see cref="DomainMin"/>.</summary>
    double RangeMin { get; }

    /// <summary>Pixel position of <see cref="DomainMax"/>.</summary>
    double RangeMax { get; }

    /// <summary>Maps a domain value to its pixel position (values outside the domain extrapolate).</summary>
    double Map(double value);

    /// <summary>Whether <paramref name="value"/> can be drawn on this scale (finite, and positive on a log scale).</summary>
    bool CanMap(double value);

    /// <summary>Tick positions inside the domain, ascending, aiming at about <paramref name="count"/> ticks.</summary>
    IReadOnlyList<double> Ticks(int count = 5);

    /// <summary>Readable label of a tick returned by <see cref="Ticks"/> for the same <paramref name="count"/>.</summary>
    string FormatTick(double value, int count = 5);
}
