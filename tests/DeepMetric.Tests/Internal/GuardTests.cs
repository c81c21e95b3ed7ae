using DeepMetric.Internal;

namespace DeepMetric.Tests.Internal;

public sealed class GuardTests
{
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Finite_RejectsNonFinite_NamingTheArgument(float margin)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Finite(margin));
        Assert.Equal("margin", ex.ParamName);
        Assert.Contains("margin must be a finite number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checks_ReturnAcceptedValues()
    {
        Assert.Equal(-3f, Guard.Finite(-3f));
        Assert.Equal(0.5f, Guard.Positive(0.5f));
        Assert.Equal(0f, Guard.NonNegative(0f));
        Assert.Equal(1f, Guard.InRange(1f, 0f, 1f));
        Assert.Equal(0.25, Guard.InRange(0.25, 0, 0.5, minExclusive: true, maxExclusive: true));
        Assert.Equal(2, Guard.AtLeast(2, 2));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Positive_RejectsZeroNegativeNaNAndInfinity(float scale)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Positive(scale));
        Assert.Equal("scale", ex.ParamName);
    }

    [Theory]
    [InlineData(-1e-6f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonNegative_RejectsNegativeNaNAndInfinity(float weight) =>
        Assert.Equal("weight", Assert.Throws<ArgumentOutOfRangeException>(() => Guard.NonNegative(weight)).ParamName);

    [Theory]
    [InlineData(0f, false, false, true)]
    [InlineData(0f, true, false, false)]
    [InlineData(1f, false, false, true)]
    [InlineData(1f, false, true, false)]
    [InlineData(float.NaN, false, false, false)]
    [InlineData(1.5f, false, false, false)]
    public void InRange_HonoursOpenAndClosedEnds(float momentum, bool minExclusive, bool maxExclusive, bool accepted)
    {
        if (accepted)
        {
            Assert.Equal(momentum, Guard.InRange(momentum, 0f, 1f, minExclusive, maxExclusive));
            return;
        }
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.InRange(momentum, 0f, 1f, minExclusive, maxExclusive));
        Assert.Equal("momentum", ex.ParamName);
        string interval = $"{(minExclusive ? '(' : '[')}0, 1{(maxExclusive ? ')' : ']')}";
        Assert.Contains($"momentum must be in {interval}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AtLeast_RejectsSmallerValues()
    {
        int numBins = 1;
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.AtLeast(numBins, 2));
        Assert.Equal("numBins", ex.ParamName);
        Assert.Contains("numBins must be ≥ 2", ex.Message, StringComparison.Ordinal);
    }
}
