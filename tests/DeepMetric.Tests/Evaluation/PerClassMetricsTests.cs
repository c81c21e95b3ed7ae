using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Tensors;

namespace DeepMetric.Tests.Evaluation;

public sealed class PerClassMetricsTests
{
    private const double Tol = 1e-12;

    [Fact]
    public void PerClassAndClassAveragedOnHandWorkedLists()
    {
        // Class 0 has two queries, class 1 one:
        //   q0 (label 0, R 2): ranked 0 1 0 → P@1 1; MAP@R (1/2)(1) = 0.5; R-Prec 1/2; MRR 1.
        //   q1 (label 0, R 2): ranked 1 0 0 → P@1 0; MAP@R (1/2)(1/2) = 0.25; R-Prec 1/2; MRR 1/2.
        //   q2 (label 1, R 1): ranked 1 0 0 → P@1 1; MAP@R 1; R-Prec 1; MRR 1.
        //   q3 (label 2, R 0): excluded, so class 2 is absent.
        int[] labels = [0, 0, 1, 2];
        int[][] ranked = [[0, 1, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0]];
        int[] r = [2, 2, 1, 0];
        var m = RetrievalMetrics.FromRankedLabels(labels, ranked, r, [1, 2]);
        Assert.NotNull(m.PerClass);
        Assert.Equal([0, 1], m.PerClass!.Keys.Order());
        var c0 = m.PerClass[0];
        Assert.Equal(2, c0.QueryCount);
        Assert.Equal(0.5, c0.PrecisionAt1, Tol);
        Assert.Equal(0.375, c0.MapAtR, Tol);
        Assert.Equal(0.5, c0.RPrecision, Tol);
        Assert.Equal(0.75, c0.Mrr, Tol);
        Assert.Equal(1.0, c0.Recall(2), Tol);
        Assert.Null(c0.PerClass);
        Assert.Equal(1.0, m.PerClass[1].MapAtR, Tol);

        // Micro (per query) vs macro (per class) averages.
        Assert.Equal(2.0 / 3, m.PrecisionAt1, Tol);
        Assert.Equal((0.5 + 0.25 + 1) / 3, m.MapAtR, Tol);
        var avg = m.ClassAveraged!;
        Assert.Equal((0.5 + 1) / 2, avg.PrecisionAt1, Tol);
        Assert.Equal((0.375 + 1) / 2, avg.MapAtR, Tol);
        Assert.Equal((0.5 + 1) / 2, avg.RPrecision, Tol);
        Assert.Equal((0.75 + 1) / 2, avg.Mrr, Tol);
        Assert.Equal((0.5 + 1) / 2, avg.Recall(1), Tol);
        Assert.Equal(3, avg.QueryCount);
    }

    [Fact]
    public void ClassAveragedEqualsOverallWithEqualClasses()
    {
        var m = RetrievalMetrics.FromRankedLabels([0, 1], [[0], [0]], [1, 1], [1]);
        Assert.Equal(m.PrecisionAt1, m.ClassAveraged!.PrecisionAt1, Tol);
        Assert.Equal(m.MapAtR, m.ClassAveraged.MapAtR, Tol);
    }

    [Fact]
    public void NoQueriesGiveAnEmptyBreakdown()
    {
        var m = RetrievalMetrics.FromRankedLabels([0], [[]], [0], [1]);
        Assert.Empty(m.PerClass!);
        Assert.True(double.IsNaN(m.ClassAveraged!.MapAtR));
    }

    [Fact]
    public void ComputeFillsThePerClassBreakdown()
    {
        // 1-d points: class 0 at 0, 1, 10 (the 10 is closer to class 1) and class 1 at 11, 12.
        var x = Tensor.Wrap([0f, 1f, 10f, 11f, 12f], 5, 1);
        int[] labels = [0, 0, 0, 1, 1];
        var m = RetrievalMetrics.Compute(x, labels, [1]);
        // P@1 by hand: 0→1 ✓, 1→0 ✓, 10→11 ✗, 11→10 or 12 at distance 1 (tie → lower index 2, label 0) ✗, 12→11 ✓.
        Assert.Equal(2.0 / 3, m.PerClass![0].PrecisionAt1, Tol);
        Assert.Equal(0.5, m.PerClass[1].PrecisionAt1, Tol);
        Assert.Equal(3.0 / 5, m.PrecisionAt1, Tol);
        Assert.Equal(((2.0 / 3) + 0.5) / 2, m.ClassAveraged!.PrecisionAt1, Tol);
    }

    [Fact]
    public void RawPixelBaselineRanksFlattenedImages()
    {
        // Four 1×1×2 images: class 0 at (0,0) and (0,1), class 1 at (5,5) and (0,2) — the last is nearest (0,1).
        var data = new ImageDataset([0f, 0f, 0f, 1f, 5f, 5f, 0f, 2f], [0, 0, 1, 1], 1, 1, 2, ["a", "b"]);
        var pixels = Baselines.RawPixels(data);
        Assert.Equal([4, 2], pixels.Shape);
        Assert.Equal([0f, 0f, 0f, 1f, 5f, 5f, 0f, 2f], pixels.ToArray());
        var m = Baselines.RawPixelMetrics(data, [1]);
        // Nearest: (0,0)→(0,1) ✓; (0,1)→(0,0) or (0,2) tie at 1, lower index 0 ✓; (5,5)→(0,2) ✓ (d²=34 vs 41/50); (0,2)→(0,1) ✗.
        Assert.Equal(0.75, m.PrecisionAt1, Tol);
        Assert.Throws<ArgumentNullException>(() => Baselines.RawPixels(null!));
    }

    [Fact]
    public void TenThousandSquaredEvaluationFitsInOneGigabyte()
    {
        const long gb = 1L << 30;
        var labels = new int[10_000];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = i % 10;
        }
        // The distance block never exceeds the chunk budget: 10 000 references → 838 query rows per GEMM.
        int rows = Knn.ChunkRows(10_000, 10_000, Knn.ChunkBytes);
        Assert.Equal((32 << 20) / (4 * 10_000), rows);
        Assert.True(4L * rows * 10_000 <= Knn.ChunkBytes);
        // Hand sum for 64-d: inputs 2.56 MB, norms 40 kB, block 33.5 MB, selector words 3 × 80 kB, result 10 000 × 999 × 8 = 79.9 MB.
        long expected64 = (4L * 64 * 10_000) + (4L * 10_000) + (4L * rows * 10_000) + (24L * 10_000) + (8L * 10_000 * 999);
        Assert.Equal(expected64, Knn.EstimateBytes(10_000, 10_000, 64, 999, KnnMetric.Euclidean, leaveOneOut: true));
        Assert.True(RetrievalMetrics.EstimateBytes(labels, 64) < gb);
        Assert.True(RetrievalMetrics.EstimateBytes(labels, 784, metric: KnnMetric.Cosine) < gb);
        // Separate 10 000 queries against 10 000 references, raw pixels.
        Assert.True(Knn.EstimateBytes(10_000, 10_000, 784, 1000) < gb);
        // A single huge tile is impossible: past 65 536 references the rows are split into column tiles, so the tile
        // stays within the budget (10 queries × 65 536 columns here) however many references there are.
        Assert.Equal(10, Knn.ChunkRows(10, 100_000_000, Knn.ChunkBytes));
        Assert.True(4L * Knn.ChunkRows(1_000_000, 100_000_000, Knn.ChunkBytes) * (1 << 16) <= Knn.ChunkBytes);
    }
}
