using DeepMetric.Calibration;
using DeepMetric.Search;

namespace DeepMetric.Tests.Calibration;

public sealed class LabelledPairsTests
{
    // Four 1-d points 0, 1, 3, 6 with labels 0, 0, 1, 1.
    private static readonly float[] s_points = [0f, 1f, 3f, 6f];
    private static readonly int[] s_labels = [0, 0, 1, 1];

    [Fact]
    public void AllPairsOfASmallSetAreEveryPair()
    {
        var pairs = LabelledPairs.FromLabelledSet(s_points, 1, s_labels, VectorMetric.L2);
        // (0,1)=1 same, (0,3)=3, (0,6)=6, (1,3)=2, (1,6)=5, (3,6)=3 same.
        Assert.Equal(new[] { 1f, 3f, 6f, 2f, 5f, 3f }, pairs.Distances);
        Assert.Equal(new[] { true, false, false, false, false, true }, pairs.IsMatch);
    }

    [Fact]
    public void AllPairsSampleIsSeededAndBounded()
    {
        var a = LabelledPairs.FromLabelledSet(s_points, 1, s_labels, VectorMetric.L2, maxItems: 3, seed: 7);
        var b = LabelledPairs.FromLabelledSet(s_points, 1, s_labels, VectorMetric.L2, maxItems: 3, seed: 7);
        Assert.Equal(3, a.Count);
        Assert.Equal(a.Distances, b.Distances);
        Assert.Equal(a.IsMatch, b.IsMatch);
    }

    [Fact]
    public void SampledPositivesAndNegativesHaveTheRightKinds()
    {
        var pairs = LabelledPairs.FromLabelledSet(s_points, 1, s_labels, VectorMetric.L2, PairSampling.PositivesAndSampledNegatives, maxItems: 50, seed: 3, negativesPerPositive: 2);
        Assert.Equal(150, pairs.Count);
        Assert.Equal(50, pairs.IsMatch.Count(m => m));
        for (int i = 0; i < pairs.Count; i++)
        {
            // Positive distances can only be |0−1| = 1 or |3−6| = 3; negatives 3, 6, 2 or 5.
            Assert.Contains(pairs.Distances[i], pairs.IsMatch[i] ? new[] { 1f, 3f } : new[] { 3f, 6f, 2f, 5f });
        }
    }

    [Fact]
    public void CosineDistancesFollowTheDefinition()
    {
        var pairs = LabelledPairs.FromLabelledSet([1f, 0f, 0f, 2f], 2, [0, 1], VectorMetric.Cosine);
        Assert.Equal(1f, pairs.Distances[0], 6);
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Throws<ArgumentException>("vectors", () => LabelledPairs.FromLabelledSet(s_points, 2, s_labels, VectorMetric.L2));
        Assert.Throws<ArgumentException>("labels", () => LabelledPairs.FromLabelledSet(s_points, 1, [0, -1, 1, 1], VectorMetric.L2));
        Assert.Throws<ArgumentException>("labels", () => LabelledPairs.FromLabelledSet([0f], 1, [0], VectorMetric.L2));
        Assert.Throws<ArgumentException>("labels", () => LabelledPairs.FromLabelledSet(s_points, 1, [0, 1, 2, 3], VectorMetric.L2, PairSampling.PositivesAndSampledNegatives));
        Assert.Throws<ArgumentException>("labels", () => LabelledPairs.FromLabelledSet(s_points, 1, [0, 0, 0, 0], VectorMetric.L2, PairSampling.PositivesAndSampledNegatives));
        Assert.Throws<ArgumentException>("isMatch", () => new LabelledPairs([1f], []));
    }
}
