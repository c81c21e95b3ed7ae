namespace DeepMetric.Tensors.Random;

/// <summary>
/// Transcendental functions built from IEEE basic operations only, so their results do not depend on the
/// platform's math library. Used where bit-reproducibility across machines matters (the PRNG).
/// </summary>
internal static class DeterministicMath
{
    private const double Ln2 = 0.693147180559945309417232121458;

    /// <summary>Natural logarithm of a positive finite double (error below 1e-16 relative).</summary>
    public static double Log(double x)
    {
        if (!(x > 0) || double.IsInfinity(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "Log needs a positive finite value.");
        }
        // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m-1)/(m+1).
        long bits = BitConverter.DoubleToInt64Bits(x);
        int e = (int)((bits >> 52) & 0x7FF);
        if (e == 0)
        {
            // Subnormal: scale into the normal range first.
            return Log(x * 18014398509481984.0) - (54 * Ln2);
        }
        e -= 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > 1.4142135623730951)
        {
            m *= 0.5;
            e++;
        }
        double s = (m - 1.0) / (m + 1.0);
        double s2 = s * s;
        double term = s;
        double sum = 0;
        for (int k = 1; k <= 41; k += 2)
        {
            sum += term / k;
            term *= s2;
        }
        return (2.0 * sum) + (e * Ln2);
    }
}
