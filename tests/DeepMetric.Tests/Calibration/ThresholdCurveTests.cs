using DeepMetric.Calibration;
using DeepMetric.Search;

namespace DeepMetric.Tests.Calibration;

public sealed class ThresholdCurveTests
{
    private const double Tol = 1e-12;

    // Hand-worked: P = 3 matching pairs, N = 2 non-matching; 0.2 is a tie of one match and one non-match.
    //   t = 0.1: TP 1, FP 0 → precision 1,    recall 1/3, F1 1/2
    //   t = 0.2: TP 2, FP 1 → precision 2/3,  recall 2/3, F1 2/3
    //   t = 0.3: TP 3, FP 1 → precision 3/4,  recall 1,   F1 6/7
    //   t = 0.5: TP 3, FP 2 → precision 3/5,  recall 1,   F1 3/4
    private static readonly float[] s_distances = [0.3f, 0.2f, 0.5f, 0.1f, 0.2f];
    private static readonly bool[] s_match = [true, false, false, true, true];

    [Fact]
    public void PointsGroupTiesAndMatchHandWorkedCounts()
    {
        var curve = ThresholdCurve.Compute(s_distances, s_match);
        Assert.Equal(3, curve.PositiveCount);
        Assert.Equal(2, curve.NegativeCount);
        Assert.Equal(new[] { 0.1f, 0.2f, 0.3f, 0.5f }, curve.Points.Select(p => p.Threshold));
        Assert.Equal(new long[] { 1, 2, 3, 3 }, curve.Points.Select(p => p.TruePositives));
        Assert.Equal(new long[] { 0, 1, 1, 2 }, curve.Points.Select(p => p.FalsePositives));
        Assert.Equal(new long[] { 2, 1, 0, 0 }, curve.Points.Select(p => p.FalseNegatives));
        Assert.Equal(new long[] { 2, 1, 1, 0 }, curve.Points.Select(p => p.TrueNegatives));
        double[] precision = [1, 2.0 / 3, 0.75, 0.6];
        double[] recall = [1.0 / 3, 2.0 / 3, 1, 1];
        double[] f1 = [0.5, 2.0 / 3, 6.0 / 7, 0.75];
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(precision[i], curve.Points[i].Precision, Tol);
            Assert.Equal(recall[i], curve.Points[i].Recall, Tol);
            Assert.Equal(f1[i], curve.Points[i].F1, Tol);
        }
        Assert.Equal(1.0, curve.MaxPrecision);
    }

    [Theory]
    [InlineData(0.6, 0.5f)]
    [InlineData(0.75, 0.3f)] // exactly 3/4 meets 0.75
    [InlineData(0.76, 0.1f)] // 0.2 and 0.3 fall below; precision is not monotone but 0.1 is the largest that meets it
    [InlineData(1.0, 0.1f)]
    public void TargetPrecisionPicksTheLargestThresholdMeetingIt(double target, float expected)
    {
        var curve = ThresholdCurve.Compute(s_distances, s_match);
        Assert.Equal(expected, curve.ForTargetPrecision(target)!.Value.Threshold);
    }

    [Fact]
    public void TargetPrecisionSkipsANonMonotoneDip()
    {
        // t=1: P 1; t=2: P 1/2; t=3: P 2/3; t=4: P 3/4 → target 0.7 is met at 4 (and 1), not at 2 or 3.
        var curve = ThresholdCurve.Compute([1f, 2f, 3f, 4f], [true, false, true, true]);
        Assert.Equal(4f, curve.ForTargetPrecision(0.7)!.Value.Threshold);
        Assert.Equal(1f, curve.ForTargetPrecision(0.8)!.Value.Threshold);
    }

    [Fact]
    public void BestF1IsTheHandWorkedMaximum()
    {
        var best = ThresholdCurve.Compute(s_distances, s_match).BestF1()!.Value;
        Assert.Equal(0.3f, best.Threshold);
        Assert.Equal(6.0 / 7, best.F1, Tol);
    }

    [Fact]
    public void BestF1TieTakesTheSmallestThreshold()
    {
        // t=1: TP1 FP0 → P 1, R 1/2, F1 2/3; t=2: TP1 FP1 → F1 1/2; t=3: TP2 FP2 → P 1/2, R 1, F1 2/3.
        var best = ThresholdCurve.Compute([1f, 2f, 3f, 3f], [true, false, true, false]).BestF1()!.Value;
        Assert.Equal(1f, best.Threshold);
    }

    [Fact]
    public void AllPositive()
    {
        var curve = ThresholdCurve.Compute([0.3f, 0.1f, 0.2f], [true, true, true]);
        Assert.Equal(0, curve.NegativeCount);
        Assert.All(curve.Points, p => Assert.Equal(1.0, p.Precision));
        Assert.Equal(0.3f, curve.ForTargetPrecision(1.0)!.Value.Threshold);
        var best = curve.BestF1()!.Value;
        Assert.Equal(0.3f, best.Threshold);
        Assert.Equal(1.0, best.F1, Tol);
    }

    [Fact]
    public void AllNegativeHasNoThreshold()
    {
        var curve = ThresholdCurve.Compute([0.3f, 0.1f], [false, false]);
        Assert.Equal(0, curve.PositiveCount);
        Assert.All(curve.Points, p => Assert.Equal((0.0, 0.0, 0.0), (p.Precision, p.Recall, p.F1)));
        Assert.Equal(0.0, curve.MaxPrecision);
        Assert.Null(curve.BestF1());
        Assert.Null(curve.ForTargetPrecision(0.01));
        Assert.Null(CalibratedThreshold.FromCurve(curve, VectorMetric.L2));
    }

    [Fact]
    public void UnreachableTargetGivesNullAndMaxPrecisionSaysHowClose()
    {
        var curve = ThresholdCurve.Compute([0.1f, 0.2f, 0.3f], [false, true, false]);
        Assert.Null(curve.ForTargetPrecision(0.9));
        Assert.Null(CalibratedThreshold.FromCurve(curve, VectorMetric.L2, 0.9));
        Assert.Equal(0.5, curve.MaxPrecision, Tol);
    }

    [Fact]
    public void SinglePairAndAllTied()
    {
        var one = ThresholdCurve.Compute([0f], [true]);
        Assert.Single(one.Points);
        Assert.Equal(1.0, one.Points[0].F1);
        var tied = ThresholdCurve.Compute([2f, 2f, 2f], [true, false, true]);
        var p = Assert.Single(tied.Points);
        Assert.Equal((2L, 1L), (p.TruePositives, p.FalsePositives));
    }

    [Fact]
    public void NegativeDistancesOfInnerProductWork()
    {
        var curve = ThresholdCurve.Compute([-3f, -1f], [true, false]);
        Assert.Equal(-3f, curve.BestF1()!.Value.Threshold);
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Throws<ArgumentException>("isMatch", () => ThresholdCurve.Compute([1f], [true, false]));
        Assert.Throws<ArgumentException>("distances", () => ThresholdCurve.Compute([], []));
        Assert.Throws<ArgumentException>("distances", () => ThresholdCurve.Compute([float.NaN], [true]));
        Assert.Throws<ArgumentException>("distances", () => ThresholdCurve.Compute([float.PositiveInfinity], [true]));
        var curve = ThresholdCurve.Compute([1f], [true]);
        Assert.Throws<ArgumentOutOfRangeException>("targetPrecision", () => curve.ForTargetPrecision(0));
        Assert.Throws<ArgumentOutOfRangeException>("targetPrecision", () => curve.ForTargetPrecision(1.5));
        Assert.Throws<ArgumentOutOfRangeException>("targetPrecision", () => curve.ForTargetPrecision(double.NaN));
    }
}
