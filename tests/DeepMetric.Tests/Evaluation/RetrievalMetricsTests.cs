using DeepMetric.Evaluation;
using DeepMetric.Tensors;

namespace DeepMetric.Tests.Evaluation;

public sealed class RetrievalMetricsTests
{
    private const double Tol = 1e-12;

    [Fact]
    public void HandWorkedRankedLists()
    {
        // Query A (label 0, R = 2): ranked 1 0 0 → P@1 0, first hit rank 2.
        //   R-Precision = 1/2; MAP@R = (1/2)(1/2) = 0.25 (rank 2 precision 1/2; rank 3 is beyond R); AP = (1/2)(1/2 + 2/3) = 7/12; RR = 1/2.
        // Query B (label 1, R = 1): ranked 1 0 0 → all 1; AP = 1; RR = 1.
        // Query C (label 2, R = 3): ranked 0 2 1 2 → hits at 2 and 4.
        //   R-Precision = 1/3; MAP@R = (1/3)(1/2) = 1/6; AP = (1/3)(1/2 + 2/4) = 1/3; RR = 1/2; R@1 0, R@2 1.
        // Query D (label 3, R = 0): excluded.
        int[] labels = [0, 1, 2, 3];
        int[][] ranked = [[1, 0, 0], [1, 0, 0], [0, 2, 1, 2], [0, 1, 2]];
        int[] r = [2, 1, 3, 0];
        var m = RetrievalMetrics.FromRankedLabels(labels, ranked, r, [1, 2, 4]);
        Assert.Equal(3, m.QueryCount);
        Assert.Equal(1.0 / 3, m.PrecisionAt1, Tol);
        Assert.Equal(1.0 / 3, m.Recall(1), Tol);
        Assert.Equal(1.0, m.Recall(2), Tol);
        Assert.Equal(1.0, m.Recall(4), Tol);
        Assert.Equal((0.5 + 1 + (1.0 / 3)) / 3, m.RPrecision, Tol);
        Assert.Equal((0.25 + 1 + (1.0 / 6)) / 3, m.MapAtR, Tol);
        Assert.Equal(((7.0 / 12) + 1 + (1.0 / 3)) / 3, m.Map, Tol);
        Assert.Equal((0.5 + 1 + 0.5) / 3, m.Mrr, Tol);
        Assert.Throws<KeyNotFoundException>(() => m.Recall(8));
    }

    [Fact]
    public void NoRelevantHitGivesZeros()
    {
        var m = RetrievalMetrics.FromRankedLabels([5], [[1, 2, 3]], [2], [1, 2]);
        Assert.Equal(0, m.PrecisionAt1);
        Assert.Equal(0, m.Recall(2));
        Assert.Equal(0, m.MapAtR);
        Assert.Equal(0, m.Mrr);
    }

    [Fact]
    public void LeaveOneOutWithTiesOnEmbeddings()
    {
        // 1-D points: labels a a b b b at 0, 1, 1, 5, 6. Equal distances go to the lower index.
        // Query 0 (a, R 1): 1 (d1, a), 2 (d1, b), 3, 4 → P@1 1, R@2 1, RP 1, MAP@R 1, AP 1, RR 1.
        // Query 1 (a, R 1): 2 (d0, b), 0 (d1, a) → P@1 0, R@2 1, RP 0, MAP@R 0, AP 1/2, RR 1/2.
        // Query 2 (b, R 2): 1 (d0, a), 0 (d1, a), 3 (d4, b), 4 (d5, b) → 0, 0, 0, 0, AP (1/2)(1/3 + 2/4), RR 1/3.
        // Query 3 (b, R 2): 4 (d1, b), 1 (d4, a), 2 (d4, b; tie with 1), 0 → P@1 1, R@2 1, RP 1/2, MAP@R 1/2, AP (1/2)(1 + 2/3), RR 1.
        // Query 4 (b, R 2): 3 (d1, b), 1 (d5, a), 2 (d5, b; tie with 1), 0 → as query 3.
        var x = Tensor.FromArray([0f, 1f, 1f, 5f, 6f], 5, 1);
        var m = RetrievalMetrics.Compute(x, [0, 0, 1, 1, 1], [1, 2]);
        Assert.Equal(5, m.QueryCount);
        Assert.Equal(3.0 / 5, m.PrecisionAt1, 1e-9);
        Assert.Equal(3.0 / 5, m.Recall(1), 1e-9);
        Assert.Equal(4.0 / 5, m.Recall(2), 1e-9);
        Assert.Equal(2.0 / 5, m.RPrecision, 1e-9);
        Assert.Equal(2.0 / 5, m.MapAtR, 1e-9);
        // MAP and MRR look at the first max(largest K, largest R) = 2 neighbours: query 2's hits are beyond, and
        // query 3/4's AP is (1/2)(1) = 1/2.
        Assert.Equal((1 + 0.5 + 0 + 0.5 + 0.5) / 5, m.Map, 1e-9);
        Assert.Equal((1 + 0.5 + 0 + 1 + 1) / 5, m.Mrr, 1e-9);

        // With K = 4 the list is the whole ranking and MAP/MRR are the full-ranking values.
        var full = RetrievalMetrics.Compute(x, [0, 0, 1, 1, 1], [1, 4]);
        double apTied = 0.5 * (1 + (2.0 / 3));
        Assert.Equal((1 + 0.5 + (0.5 * ((1.0 / 3) + 0.5)) + apTied + apTied) / 5, full.Map, 1e-9);
        Assert.Equal((1 + 0.5 + (1.0 / 3) + 1 + 1) / 5, full.Mrr, 1e-9);
        Assert.Equal(m.MapAtR, full.MapAtR, 1e-12);
        Assert.Equal(1.0, full.Recall(4), 1e-12);
    }

    [Fact]
    public void SingletonClassIsExcluded()
    {
        var x = Tensor.FromArray([0f, 0.1f, 9f], 3, 1);
        var m = RetrievalMetrics.Compute(x, [0, 0, 7]);
        Assert.Equal(2, m.QueryCount);
        Assert.Equal(1.0, m.PrecisionAt1);
        Assert.Equal(1.0, m.MapAtR);
    }

    [Fact]
    public void SeparateQueryAndReferenceSets()
    {
        // References: 0 (label 0), 10 (label 1), 11 (label 1). Queries: 1 (label 0, R 1), 9 (label 1, R 2), 5 (label 2, R 0).
        var refs = Tensor.FromArray([0f, 10f, 11f], 3, 1);
        var queries = Tensor.FromArray([1f, 9f, 5f], 3, 1);
        var m = RetrievalMetrics.Compute(queries, [0, 1, 2], refs, [0, 1, 1], [1]);
        Assert.Equal(2, m.QueryCount);
        Assert.Equal(1.0, m.PrecisionAt1);
        Assert.Equal(1.0, m.MapAtR);
        Assert.Equal(1.0, m.Map);
    }

    [Fact]
    public void CosineRanksByAngle()
    {
        // (1,0) and (10,1) are nearly parallel (same label); (0,1) is orthogonal but closer in Euclidean terms to (1,0).
        var x = Tensor.FromArray([1f, 0f, 10f, 1f, 0f, 1f], 3, 2);
        int[] labels = [0, 0, 1];
        Assert.Equal(1.0, RetrievalMetrics.Compute(x, labels, [1], KnnMetric.Cosine).Recall(1));
        // Euclidean: query 0's nearest is (0,1) (wrong), query 1's is (1,0) (right); query 2 has no positive.
        Assert.Equal(0.5, RetrievalMetrics.Compute(x, labels, [1], KnnMetric.Euclidean).PrecisionAt1);
    }

    [Fact]
    public void NoValidQueryGivesNaN()
    {
        var m = RetrievalMetrics.Compute(Tensor.FromArray([0f, 1f], 2, 1), [0, 1]);
        Assert.Equal(0, m.QueryCount);
        Assert.True(double.IsNaN(m.PrecisionAt1));
    }

    [Fact]
    public void EmptyAndSingleInputsGiveNaN()
    {
        Assert.Equal(0, RetrievalMetrics.Compute(Tensor.Zeros(0, 3), []).QueryCount);
        Assert.True(double.IsNaN(RetrievalMetrics.Compute(Tensor.Zeros(1, 3), [4]).MapAtR));
    }

    [Fact]
    public void BadArguments()
    {
        var x = Tensor.FromArray([0f, 1f], 2, 1);
        Assert.Throws<ArgumentException>("embeddings", () => RetrievalMetrics.Compute(x, [0, 0, 0]));
        Assert.Throws<ArgumentException>("ks", () => RetrievalMetrics.Compute(x, [0, 0], [0]));
        Assert.Throws<ArgumentException>("rankedLabels", () => RetrievalMetrics.FromRankedLabels([0], [], [1]));
        Assert.Throws<ArgumentException>("rankedLabels", () => RetrievalMetrics.FromRankedLabels([0], [[0]], [2]));
        Assert.Throws<ArgumentException>("relevantCounts", () => RetrievalMetrics.FromRankedLabels([0], [[0]], [-1]));
    }
}
