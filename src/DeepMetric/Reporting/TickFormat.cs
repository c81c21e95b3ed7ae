using System.Globalization;

namespace DeepMetric.Reporting;

/// <summary>Number formatting for axis ticks and SVG attributes, always in the invariant culture.</summary>
internal static class TickFormat
{
    /// <summary>Decimals needed to show multiples of <paramref name="step"/> exactly (0 for steps ≥ 1).</summary>
    public static int Decimals(double step)
    {
        // The small slack keeps exact powers of ten (log10(0.1) = -1) from rounding up a place.
        int d = (int)Math.Ceiling(-Math.Log10(step) - 1e-9);
        return Math.Clamp(d, 0, 15);
    }

    /// <summary>Formats a multiple of <paramref name="step"/> with just enough decimals; very large or small values in exponent form.</summary>
    public static string Format(double value, double step)
    {
        if (value == 0 || Math.Abs(value) < step * 1e-9)
        {
            return "0";
        }
        double abs = Math.Abs(value);
        if (abs >= 1e6 || step < 1e-5)
        {
            return value.ToString("0.###e0", CultureInfo.InvariantCulture);
        }
        return value.ToString("F" + Decimals(step).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>Compact general formatting for labels (up to 4 significant decimals).</summary>
    public static string General(double value)
    {
        if (value == 0)
        {
            return "0";
        }
        double abs = Math.Abs(value);
        if (abs >= 1e6 || abs < 1e-4)
        {
            return value.ToString("0.###e0", CultureInfo.InvariantCulture);
        }
        return value.ToString("0.####", CultureInfo.InvariantCulture);
    }

    /// <summary>SVG coordinate: two decimals at most, never "-0".</summary>
    public static string Coord(double value)
    {
        double r = Math.Round(value, 2);
        if (r == 0)
        {
            return "0";
        }
        return r.ToString("0.##", CultureInfo.InvariantCulture);
    }
}
