using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace DeepMetric.Internal;

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
    public static T InRange<T>(T value, T min, T max, bool minExclusive = false, bool maxExclusive = false,
        [CallerArgumentExpression(nameof(value))] string? paramName = null)
        where T : INumber<T>
    {
        bool aboveMin = minExclusive ? value > min : value >= min;
        bool belowMax = maxExclusive ? value < max : value <= max;
        if (aboveMin && belowMax)
        {
            return value;
        }
        string interval = $"{(minExclusive ? '(' : '[')}{Format(min)}, {Format(max)}{(maxExclusive ? ')' : ']')}";
        throw Fail(paramName, value, $"in {interval}");
    }

    /// <summary>Throws unless <paramref name="value"/> ≥ <paramref name="min"/>.</summary>
    public static int AtLeast(int value, int min, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        value >= min ? value : throw Fail(paramName, value, $"≥ {min}");

    private static string Format<T>(T x) where T : INumber<T> => x.ToString(null, CultureInfo.InvariantCulture);

    private static ArgumentOutOfRangeException Fail(string? paramName, object value, string expected) =>
        new(paramName, value, $"{paramName} must be {expected}.");
}
