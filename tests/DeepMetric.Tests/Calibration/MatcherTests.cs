using DeepMetric.Calibration;
using DeepMetric.Search;

namespace DeepMetric.Tests.Calibration;

public sealed class MatcherTests
{
    [Fact]
    public void DistanceFollowsTheDefinitions()
    {
        Assert.Equal(5f, Matcher.Distance(VectorMetric.L2, [0f, 0f], [3f, 4f]));
        Assert.Equal(0f, Matcher.Distance(VectorMetric.L2, [1f, 2f], [1f, 2f]));
        Assert.Equal(1f - (3.0 / 5), Matcher.Distance(VectorMetric.Cosine, [1f, 0f], [3f, 4f]), 6);
        Assert.Equal(1f, Matcher.Distance(VectorMetric.Cosine, [0f, 0f], [3f, 4f]));
        Assert.Equal(-11f, Matcher.Distance(VectorMetric.InnerProduct, [1f, 2f], [3f, 4f]));
        Assert.Throws<ArgumentException>("b", () => Matcher.Distance(VectorMetric.L2, [1f], [1f, 2f]));
        Assert.Throws<ArgumentException>("b", () => Matcher.Distance(VectorMetric.L2, [], []));
    }

    [Fact]
    public void IsMatchIsInclusive()
    {
        var m = new Matcher(5f, VectorMetric.L2);
        Assert.True(m.IsMatch([0f, 0f], [3f, 4f]));
        Assert.False(new Matcher(4.999f, VectorMetric.L2).IsMatch([0f, 0f], [3f, 4f]));
    }

    [Fact]
    public void UsesACalibratedThreshold()
    {
        var m = new Matcher(new CalibratedThreshold(0.5f, VectorMetric.Cosine, 1, 1, 1, CalibrationMethod.BestF1, null, 1, 0));
        Assert.Equal((0.5f, VectorMetric.Cosine), (m.Threshold, m.Metric));
        Assert.True(m.IsMatch([1f, 0f], [1f, 1f]));   // 1 − 0.707 = 0.29
        Assert.False(m.IsMatch([1f, 0f], [-1f, 1f])); // 1.707
    }

    [Fact]
    public void GetMatchesFiltersTheNearestByTheThreshold()
    {
        var index = new FlatIndex(1, VectorMetric.L2);
        index.Add(["a", "b", "c", "d"], [0f, 1f, 2f, 10f]);
        var m = new Matcher(2f, VectorMetric.L2);
        Assert.Equal(["a", "b", "c"], m.GetMatches([0f], index, 10).Select(h => h.Id));
        Assert.Equal(["a", "b"], m.GetMatches([0f], index, 2).Select(h => h.Id));
        Assert.Empty(m.GetMatches([5f], index, 10));
        Assert.Throws<ArgumentException>("index", () => new Matcher(1f, VectorMetric.Cosine).GetMatches([0f], index, 1));
        Assert.Throws<ArgumentOutOfRangeException>("maxResults", () => m.GetMatches([0f], index, 0));
    }

    [Fact]
    public void BadThresholds()
    {
        Assert.Throws<ArgumentException>("threshold", () => new Matcher(float.NaN, VectorMetric.L2));
        Assert.Throws<ArgumentException>("threshold", () => new Matcher(float.PositiveInfinity, VectorMetric.L2));
        Assert.Throws<ArgumentOutOfRangeException>("metric", () => new Matcher(1f, (VectorMetric)9));
        Assert.Throws<ArgumentNullException>("calibration", () => new Matcher(null!));
    }
}
