using System.Globalization;
using System.Runtime.CompilerServices;

namespace DeepMetric;

/// <summary>
/// One-line argument checks for constructors, all throwing <see cref="ArgumentOutOfRangeException"/> with the
/// parameter name (taken from the call site) and a message in one style: "<c>name</c> must be …".
/// Every check rejects NaN. Each returns the value, so it can be used inline in an assignment.
/// </summary>
internal static class Guard
{
    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    public static float Finite(float value, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        float.IsFinite(value) ? value : throw Fail(paramName, value, "a finite number");

    /// <summary>Throws unless <paramref name="value"/> is finite and &gt; 0.</summary>
    public static float Positive(float value, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        value > 0f && float.IsFinite(value) ? value : throw Fail(paramName, value, "a finite number > 0");

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0.</summary>
    public static float NonNegative(float value, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        value >= 0f && float.IsFinite(value) ? value : throw Fail(paramName, value, "a finite number ≥ 0");

    /// <summary>
    /// Throws unless <paramref name="value"/> lies in the interval from <paramref name="min"/> to <paramref name="max"/>,
    /// each end included unless marked exclusive.
    /// </summary>
    public static float InRange(float value, float min, float max, bool minExclusive = false, bool maxExclusive = false,
        [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        bool aboveMin = minExclusive ? value > min : value >= min;
        bool belowMax = maxExclusive ? value < max : value <= max;
        return aboveMin && belowMax
            ? value
            : throw Fail(paramName, value, Interval(min.ToString(CultureInfo.InvariantCulture), max.ToString(CultureInfo.InvariantCulture), minExclusive, maxExclusive));
    }

    /// <inheritdoc cref="InRange(float, float, float, bool, bool, string?)"/>
    public static double InRange(double value, double min, double max, bool minExclusive = false, bool maxExclusive = false,
        [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        bool aboveMin = minExclusive ? value > min : value >= min;
        bool belowMax = maxExclusive ? value < max : value <= max;
        return aboveMin && belowMax
            ? value
            : throw Fail(paramName, value, Interval(min.ToString(CultureInfo.InvariantCulture), max.ToString(CultureInfo.InvariantCulture), minExclusive, maxExclusive));
    }

    /// <summary>Throws unless <paramref name="value"/> ≥ <paramref name="min"/>.</summary>
    public static int AtLeast(int value, int min, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        value >= min ? value : throw Fail(paramName, value, $"≥ {min}");

    private static string Interval(string min, string max, bool minExclusive, bool maxExclusive) =>
        $"in {(minExclusive ? '(' : '[')}{min}, {max}{(maxExclusive ? ')' : ']')}";

    private static ArgumentOutOfRangeException Fail(string? paramName, object value, string expected) =>
        new(paramName, value, $"{paramName} must be {expected}.");
}
