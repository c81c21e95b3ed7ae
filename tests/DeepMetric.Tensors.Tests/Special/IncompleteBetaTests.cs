using DeepMetric.Tensors.Special;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Special;

public sealed class IncompleteBetaTests
{
    private const double Tol = 1e-12;

    private static readonly double[] s_xs = [1e-9, 0.001, 0.05, 0.2, 0.37, 0.5, 0.63, 0.9, 0.999, 1 - 1e-9];

    private static double I(double x, double a, double b) => SpecialFunctions.RegularizedIncompleteBeta(x, a, b);

    [Fact]
    public void EndpointsAreExact()
    {
        foreach (var (a, b) in new[] { (0.1, 0.1), (1.0, 1.0), (3.0, 500.0), (2000.0, 0.5) })
        {
            Assert.Equal(0.0, I(0, a, b));
            Assert.Equal(1.0, I(1, a, b));
        }
    }

    [Fact]
    public void ClosedForms()
    {
        foreach (double x in s_xs)
        {
            Assertions.Close(x, I(x, 1, 1), Tol, Tol, $"I_{x}(1,1)");
            foreach (double a in new[] { 0.3, 2.0, 7.5 })
            {
                Assertions.Close(Math.Pow(x, a), I(x, a, 1), Tol, 1e-11, $"I_{x}({a},1)");
            }
            foreach (double b in new[] { 0.3, 2.0, 7.5 })
            {
                Assertions.Close(1 - Math.Pow(1 - x, b), I(x, 1, b), Tol, 1e-11, $"I_{x}(1,{b})");
            }
            Assertions.Close(2 / Math.PI * Math.Asin(Math.Sqrt(x)), I(x, 0.5, 0.5), Tol, 1e-11, $"I_{x}(½,½)");
        }
    }

    [Fact]
    public void Symmetry()
    {
        // Dyadic points, so 1 − x is exact and the check does not measure the rounding of 1 − x.
        double[] xs = [Math.ScaleB(1, -30), 1.0 / 1024, 0.0625, 0.25, 0.375, 0.5, 0.625, 0.875, 1 - (1.0 / 1024), 1 - Math.ScaleB(1, -30)];
        foreach (double x in xs)
        {
            foreach (var (a, b) in new[] { (0.5, 50.0), (2.0, 3.0), (30.0, 40.0), (0.2, 0.9), (1000.0, 10.0) })
            {
                Assertions.Close(1 - I(1 - x, b, a), I(x, a, b), 1e-11, 1e-11, $"x={x} a={a} b={b}");
            }
        }
    }

    public static TheoryData<double, double, double> NumericCases => new()
    {
        { 0.001, 0.5, 50 }, { 0.01, 0.5, 50 }, { 0.03, 0.5, 50 }, { 0.1, 0.5, 50 },
        { 0.9, 50, 0.5 }, { 0.97, 50, 0.5 }, { 0.99, 50, 0.5 },
        { 0.2, 2.5, 7.5 }, { 0.5, 2.5, 7.5 },
        { 0.38, 200, 300 }, { 0.4, 200, 300 }, { 0.42, 200, 300 },
        { 0.2, 0.3, 0.7 }, { 0.8, 0.3, 0.7 },
        { 0.3, 12, 4.5 },
    };

    [Theory]
    [MemberData(nameof(NumericCases))]
    public void MatchesNumericalIntegralOfTheDensity(double x, double a, double b)
    {
        double expected = NumericCdf(x, a, b);
        Assertions.Close(expected, I(x, a, b), absTol: 1e-9, relTol: 1e-7, what: $"I_{x}({a},{b})");
    }

    [Theory]
    [MemberData(nameof(NumericCases))]
    public void DerivativeMatchesFiniteDifferences(double x, double a, double b)
    {
        double h = 1e-6 * Math.Min(x, 1 - x);
        double numeric = (I(x + h, a, b) - I(x - h, a, b)) / (2 * h);
        double analytic = SpecialFunctions.IncompleteBetaDerivative(x, a, b);
        Assertions.Close(numeric, analytic, absTol: 1e-6, relTol: 1e-5, what: $"dI/dx at {x} ({a},{b})");
    }

    [Fact]
    public void DerivativeEndpointsAndKnownValues()
    {
        Assert.Equal(1.0, SpecialFunctions.IncompleteBetaDerivative(0.3, 1, 1), 12);
        Assert.Equal(3.0, SpecialFunctions.IncompleteBetaDerivative(0, 1, 3), 12);   // b(1−x)^(b−1)
        Assert.Equal(0.0, SpecialFunctions.IncompleteBetaDerivative(0, 2, 3));
        Assert.Equal(double.PositiveInfinity, SpecialFunctions.IncompleteBetaDerivative(0, 0.5, 3));
        Assert.Equal(0.0, SpecialFunctions.IncompleteBetaDerivative(1, 2, 3));
        // Beta(2,2) density 6x(1−x)
        Assert.Equal(6 * 0.25 * 0.75, SpecialFunctions.IncompleteBetaDerivative(0.25, 2, 2), 12);
        // Large shapes: stays finite where the naive product would underflow/overflow.
        double dens = SpecialFunctions.IncompleteBetaDerivative(0.4, 2000, 3000);
        Assert.True(double.IsFinite(dens) && dens > 10);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>("x", () => I(-0.1, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("x", () => I(1.5, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("x", () => I(double.NaN, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("a", () => I(0.5, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>("b", () => I(0.5, 1, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>("a", () => SpecialFunctions.IncompleteBetaDerivative(0.5, -1, 1));
    }

    /// <summary>
    /// ∫₀ˣ t^(a−1)(1−t)^(b−1) dt / ∫₀¹ (same), by composite Simpson. Where an exponent is negative the
    /// endpoint singularity is removed by substituting u = t^a near 0 (or v = (1−t)^b near 1).
    /// </summary>
    private static double NumericCdf(double x, double a, double b)
    {
        double shift = a > 1 && b > 1 ? LogDensity((a - 1) / (a + b - 2), a, b) : 0;
        double Part(double lo, double hi) => IntegrateLeft(Math.Min(lo, 0.5), Math.Min(hi, 0.5), a, b, shift)
            + IntegrateRight(Math.Max(lo, 0.5), Math.Max(hi, 0.5), a, b, shift);
        return Part(0, x) / Part(0, 1);
    }

    private static double LogDensity(double t, double a, double b) => ((a - 1) * Math.Log(t)) + ((b - 1) * Math.Log(1 - t));

    // ∫_lo^hi over [0, ½]: with u = t^a, t^(a−1) dt = du/a, so the integrand (1−u^(1/a))^(b−1)/a is bounded.
    private static double IntegrateLeft(double lo, double hi, double a, double b, double shift)
    {
        if (hi <= lo)
        {
            return 0;
        }
        if (a >= 1)
        {
            return Simpson(t => Math.Exp(LogDensity(t, a, b) - shift), lo, hi);
        }
        return Simpson(u => Math.Exp(((b - 1) * Math.Log(1 - Math.Pow(u, 1 / a))) - shift) / a, Math.Pow(lo, a), Math.Pow(hi, a));
    }

    // ∫_lo^hi over [½, 1]: with v = (1−t)^b the same trick removes the singularity at 1.
    private static double IntegrateRight(double lo, double hi, double a, double b, double shift)
    {
        if (hi <= lo)
        {
            return 0;
        }
        if (b >= 1)
        {
            return Simpson(t => t >= 1 ? 0 : Math.Exp(LogDensity(t, a, b) - shift), lo, hi);
        }
        return Simpson(v => Math.Exp(((a - 1) * Math.Log(1 - Math.Pow(v, 1 / b))) - shift) / b, Math.Pow(1 - hi, b), Math.Pow(1 - lo, b));
    }

    private static double Simpson(Func<double, double> f, double lo, double hi, int intervals = 200_000)
    {
        double h = (hi - lo) / intervals;
        double s = Value(f, lo) + Value(f, hi);
        for (int i = 1; i < intervals; i++)
        {
            s += (i % 2 == 1 ? 4 : 2) * f(lo + (i * h));
        }
        return s * h / 3;
    }

    // At t = 0 with a = 1 (or u = 0), log(0)·0 would be NaN; the integrand's limit there is finite.
    private static double Value(Func<double, double> f, double t)
    {
        double v = f(t);
        return double.IsNaN(v) ? f(t + 1e-300) : v;
    }
}
