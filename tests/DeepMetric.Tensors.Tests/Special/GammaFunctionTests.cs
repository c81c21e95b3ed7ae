using DeepMetric.Tensors.Special;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Special;

public sealed class GammaFunctionTests
{
    [Fact]
    public void LogGammaAtIntegersIsLogFactorial()
    {
        double logFact = 0; // log((n−1)!)
        for (int n = 1; n <= 171; n++)
        {
            if (n > 1)
            {
                logFact += Math.Log(n - 1);
            }
            Assertions.Close(logFact, SpecialFunctions.LogGamma(n), absTol: 1e-13, relTol: 1e-13, what: $"logΓ({n})");
        }
    }

    [Fact]
    public void LogGammaAtHalfIntegersFollowsSqrtPi()
    {
        // Γ(n + ½) = √π · Π_{i=1..n} (i − ½)
        double expected = 0.5 * Math.Log(Math.PI);
        for (int n = 0; n <= 60; n++)
        {
            if (n > 0)
            {
                expected += Math.Log(n - 0.5);
            }
            Assertions.Close(expected, SpecialFunctions.LogGamma(n + 0.5), absTol: 1e-13, relTol: 1e-13, what: $"logΓ({n}.5)");
        }
    }

    [Theory]
    [InlineData(1e-6)]
    [InlineData(0.013)]
    [InlineData(0.3)]
    [InlineData(0.77)]
    [InlineData(1.5)]
    [InlineData(3.25)]
    [InlineData(47.1)]
    [InlineData(1234.5)]
    public void LogGammaSatisfiesTheRecurrence(double x) =>
        Assertions.Close(Math.Log(x), SpecialFunctions.LogGamma(x + 1) - SpecialFunctions.LogGamma(x), absTol: 1e-12, relTol: 1e-12);

    [Fact]
    public void LogGammaNearZeroBehavesLikeMinusLogX()
    {
        // Γ(x) = 1/x − γ + O(x)
        const double EulerGamma = 0.57721566490153286;
        double x = 1e-8;
        Assertions.Close(Math.Log((1 / x) - EulerGamma), SpecialFunctions.LogGamma(x), absTol: 1e-12, relTol: 1e-12);
        Assert.Equal(double.PositiveInfinity, SpecialFunctions.LogGamma(double.PositiveInfinity));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void LogGammaRejectsNonPositive(double x)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SpecialFunctions.LogGamma(x));
        Assert.Equal("x", ex.ParamName);
    }

    [Fact]
    public void LogBetaKnownValues()
    {
        Assertions.Close(Math.Log(1.0 / 12.0), SpecialFunctions.LogBeta(2, 3), 1e-13, 1e-13);
        Assertions.Close(Math.Log(Math.PI), SpecialFunctions.LogBeta(0.5, 0.5), 1e-13, 1e-13);
        Assertions.Close(-Math.Log(7.0), SpecialFunctions.LogBeta(1, 7), 1e-13, 1e-13);
        Assertions.Close(SpecialFunctions.LogBeta(3.7, 0.2), SpecialFunctions.LogBeta(0.2, 3.7), 1e-14, 1e-14);
        Assert.Throws<ArgumentOutOfRangeException>("a", () => SpecialFunctions.LogBeta(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>("b", () => SpecialFunctions.LogBeta(1, -2));
    }
}
