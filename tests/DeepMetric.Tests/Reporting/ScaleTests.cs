using DeepMetric.Reporting;

namespace DeepMetric.Tests.Reporting;

public sealed class ScaleTests
{
    [Fact]
    public void ZeroToOne_TicksEveryFifth()
    {
        var s = new LinearScale(0, 1);
        // span 1 / 5 = 0.2 → factor 2 × 0.1.
        Assert.Equal(0.2, LinearScale.TickStep(0, 1, 5), 12);
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1.0], s.Ticks(5));
        Assert.Equal(["0", "0.2", "0.4", "0.6", "0.8", "1.0"], s.Ticks(5).Select(t => s.FormatTick(t, 5)));
    }

    [Fact]
    public void ZeroTo97_StepTwenty_NiceExtendsTo100()
    {
        var s = new LinearScale(0, 97);
        // 97 / 5 = 19.4 → 1.94 × 10, 1.94 ≥ √2 → 2 × 10.
        Assert.Equal(20, LinearScale.TickStep(0, 97, 5));
        Assert.Equal([0, 20, 40, 60, 80], s.Ticks(5));
        LinearScale nice = s.Nice(5);
        Assert.Equal(0, nice.DomainMin);
        Assert.Equal(100, nice.DomainMax);
        Assert.Equal([0, 20, 40, 60, 80, 100], nice.Ticks(5));
        Assert.Equal("80", nice.FormatTick(80, 5));
    }

    [Fact]
    public void NegativeToPositive_StepTwo()
    {
        var s = new LinearScale(-3.2, 7.9);
        // 11.1 / 5 = 2.22 → factor 2.
        Assert.Equal(2, LinearScale.TickStep(-3.2, 7.9, 5));
        Assert.Equal([-2, 0, 2, 4, 6], s.Ticks(5));
        LinearScale nice = s.Nice(5);
        Assert.Equal(-4, nice.DomainMin);
        Assert.Equal(8, nice.DomainMax);
        Assert.Equal("-2", s.FormatTick(-2, 5));
        Assert.Equal("0", s.FormatTick(0, 5));
        // 10 ticks: 1.11 → factor 1.
        Assert.Equal(1, LinearScale.TickStep(-3.2, 7.9, 10));
        Assert.Equal(11, s.Ticks(10).Count);
    }

    [Fact]
    public void SmallSteps_FormattedWithoutBinaryNoise()
    {
        var s = new LinearScale(0.013, 0.052);
        // 0.039 / 5 = 0.0078 → 7.8 × 0.001 ≥ √50 → 0.01.
        Assert.Equal([0.02, 0.03, 0.04, 0.05], s.Ticks(5));
        Assert.Equal("0.03", s.FormatTick(0.03, 5));
        var tiny = new LinearScale(0, 2e-6);
        Assert.Equal("1e-6", tiny.FormatTick(1e-6, 2));
        var huge = new LinearScale(0, 5e7);
        Assert.Equal("2e7", huge.FormatTick(2e7, 5));
    }

    [Fact]
    public void Map_IsLinearAndInvertible()
    {
        var s = new LinearScale(-3.2, 7.9, 300, 20);
        Assert.Equal(300, s.Map(-3.2), 9);
        Assert.Equal(20, s.Map(7.9), 9);
        Assert.Equal(160, s.Map((-3.2 + 7.9) / 2), 9);
        Assert.Equal(1.5, s.Invert(s.Map(1.5)), 9);
    }

    [Fact]
    public void ZeroWidthDomain_IsWidened()
    {
        var s = new LinearScale(5, 5, 0, 100);
        Assert.Equal(4.5, s.DomainMin);
        Assert.Equal(5.5, s.DomainMax);
        Assert.Equal(50, s.Map(5), 9);
        Assert.Equal([4.6, 4.8, 5.0, 5.2, 5.4], s.Ticks(5));
        var z = new LinearScale(0, 0);
        Assert.Equal(-1, z.DomainMin);
        Assert.Equal(1, z.DomainMax);
        var e = LinearScale.FromValues([double.NaN]);
        Assert.Equal(0, e.DomainMin);
        Assert.Equal(1, e.DomainMax);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => new LinearScale(2, 1));
        Assert.Throws<ArgumentException>(() => new LinearScale(double.NaN, 1));
        Assert.Throws<ArgumentException>(() => new LinearScale(0, double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearScale(0, 1).Ticks(0));
        Assert.Throws<ArgumentException>(() => new LogScale(0, 10));
        Assert.Throws<ArgumentException>(() => new LogScale(-1, 10));
    }

    [Fact]
    public void LogScale_MapsDecadesEvenlyAndTicksPowers()
    {
        var s = new LogScale(1e-3, 10, 0, 400);
        Assert.Equal(0, s.Map(1e-3), 9);
        Assert.Equal(100, s.Map(1e-2), 9);
        Assert.Equal(300, s.Map(1), 9);
        Assert.Equal(400, s.Map(10), 9);
        Assert.Equal([1e-3, 1e-2, 0.1, 1, 10], s.Ticks(5));
        Assert.Equal(["0.001", "0.01", "0.1", "1", "10"], s.Ticks(5).Select(t => s.FormatTick(t)));
        Assert.False(s.CanMap(0));
        Assert.True(s.CanMap(1e-9));
    }

    [Fact]
    public void LogScale_NarrowDomainAddsTwoAndFive_NiceRoundsToDecades()
    {
        var s = new LogScale(0.3, 7);
        Assert.Equal([0.5, 1, 2, 5], s.Ticks(5));
        LogScale nice = s.Nice();
        Assert.Equal(0.1, nice.DomainMin, 12);
        Assert.Equal(10, nice.DomainMax, 12);
        var z = new LogScale(2, 2);
        Assert.Equal(0.2, z.DomainMin, 12);
        Assert.Equal(20, z.DomainMax, 12);
    }

    [Fact]
    public void LogScale_ManyDecadesThinsTicks()
    {
        var s = new LogScale(1, 1e12);
        IReadOnlyList<double> ticks = s.Ticks(5);
        Assert.True(ticks.Count <= 7, $"{ticks.Count} ticks");
        Assert.Equal(1, ticks[0]);
        Assert.Equal(1e12, ticks[^1]);
    }

    [Fact]
    public void LogScale_SixDecades_EveryPowerLabelled()
    {
        // Seen in a rendered log-y loss chart: 10⁻³…10² was labelled only at 10⁻³, 10⁻¹ and 10, top bare.
        var s = new LogScale(1e-3, 100);
        Assert.Equal([1e-3, 1e-2, 0.1, 1, 10, 100], s.Ticks(5));
    }
}
