using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Tensors;

namespace DeepMetric.Tests.Evaluation;

/// <summary>Query/reference evaluation against a hand-worked example on the x axis.</summary>
public sealed class QueryReferenceSetsTests
{
    // References a0 = 0, a1 = 2 (class 0), b0 = 3, b1 = 5 (class 1); queries q0 = 1.9 (0), q1 = 2.6 (1), q2 = 4.4 (0),
    // q3 = 5.4 (1). Ranked labels against the references (R = 2 each):
    //   q0: a1 0.1, b0 1.1, a0 1.9, b1 3.1 → 0 1 0 1: P@1 1, MAP@R (1 + 0)/2 = 0.5, R-P 0.5, Recall@2 1
    //   q1: b0 0.4, a1 0.6, b1 2.4, a0 2.6 → 1 0 1 0: P@1 1, MAP@R 0.5, R-P 0.5
    //   q2: b1 0.6, b0 1.4, a1 2.4, a0 4.4 → 1 1 0 0: P@1 0, MAP@R 0, R-P 0, Recall@2 0
    //   q3: b1 0.4, b0 2.4, a1 3.4, a0 5.4 → 1 1 0 0: P@1 1, MAP@R 1, R-P 1
    // Among the queries themselves (R = 1), each nearest other query has the other class: all zero (1 if a query
    // could retrieve itself).
    private static FeatureDataset Line(float[] xs, int[] labels) =>
        new([.. xs.SelectMany(x => new[] { x, 0f })], labels, 2, ["0", "1"]);

    private static readonly FeatureDataset s_references = Line([0, 2, 3, 5], [0, 0, 1, 1]);
    private static readonly FeatureDataset s_queries = Line([1.9f, 2.6f, 4.4f, 5.4f], [0, 1, 0, 1]);

    [Fact]
    public void SeparateReferencesMatchTheHandWorkedFigures()
    {
        var sets = new QueryReferenceSets(s_queries, s_references);
        Assert.False(sets.LeaveOneOut);
        Assert.Equal(4, sets.ReferenceCount);
        var m = sets.RawPixelMetrics([1, 2]);
        Assert.Equal(4, m.QueryCount);
        Assert.Equal(0.75, m.PrecisionAt1, 6);
        Assert.Equal(0.5, m.MapAtR, 6);
        Assert.Equal(0.5, m.RPrecision, 6);
        Assert.Equal(0.75, m.Recall(2), 6);   // q0, q1, q3 have a same-class reference in their first two
        Assert.Equal("4 queries ranked among 4 separate reference items", sets.Describe());
    }

    [Fact]
    public void TheSameSetExcludesEachQuery()
    {
        foreach (var sets in new[] { new QueryReferenceSets(s_queries), new QueryReferenceSets(s_queries, s_queries) })
        {
            Assert.True(sets.LeaveOneOut);
            Assert.Equal(3, sets.ReferenceCount);
            var m = sets.RawPixelMetrics([1]);
            Assert.Equal(0, m.PrecisionAt1, 6);
            Assert.Equal(0, m.MapAtR, 6);
            Assert.Equal("4 queries, each ranked among the other 3 (query excluded)", sets.Describe());
        }
    }

    [Fact]
    public void EmbeddingsMustMatchTheSets()
    {
        var loo = new QueryReferenceSets(s_queries);
        var x = Tensor.Wrap(new float[8], 4, 2);
        Assert.Throws<ArgumentException>(() => loo.Compute(x, x));
        Assert.Throws<ArgumentException>(() => new QueryReferenceSets(s_queries, s_references).Compute(x, null));
        Assert.Throws<ArgumentException>(() => new QueryReferenceSets(s_queries, new FeatureDataset(new float[3], [0], 3)));
    }
}
