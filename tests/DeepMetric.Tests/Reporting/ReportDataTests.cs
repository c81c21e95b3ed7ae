using DeepMetric.Reporting;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Reporting;

public sealed class ReportDataTests
{
    private static (float[] Emb, int[] Labels) Points(int n, int dim, int classes, ulong seed)
    {
        var rng = new Prng(seed);
        var emb = new float[n * dim];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % classes;
            for (int d = 0; d < dim; d++)
            {
                emb[(i * dim) + d] = (float)rng.NextNormal() + labels[i];
            }
        }
        return (emb, labels);
    }

    private static double Dist(float[] e, int dim, int a, int b)
    {
        double s = 0;
        for (int d = 0; d < dim; d++)
        {
            double x = e[(a * dim) + d] - (double)e[(b * dim) + d];
            s += x * x;
        }
        return Math.Sqrt(s);
    }

    [Fact]
    public void Subsample_DistinctSortedSeeded_AllWhenSmall()
    {
        Assert.Equal([0, 1, 2], ReportData.Subsample(3, 5, 1));
        Assert.Equal([0, 1, 2], ReportData.Subsample(3, 3, 1));
        Assert.Empty(ReportData.Subsample(0, 5, 1));
        Assert.Empty(ReportData.Subsample(10, 0, 1));
        int[] s = ReportData.Subsample(1000, 50, 9);
        Assert.Equal(50, s.Length);
        Assert.Equal(50, s.Distinct().Count());
        Assert.Equal(s.Order(), s);
        Assert.All(s, i => Assert.InRange(i, 0, 999));
        Assert.Equal(s, ReportData.Subsample(1000, 50, 9));
        Assert.NotEqual(s, ReportData.Subsample(1000, 50, 10));
    }

    [Fact]
    public void SamplePairs_ComeFromTheRightPairs_WithTheirDistances()
    {
        const int dim = 3;
        var (emb, labels) = Points(40, dim, 4, 3);
        var (pos, neg) = ReportData.SamplePairs(emb, dim, labels, 200, 5);
        Assert.Equal(200, pos.Distances.Length);
        Assert.Equal(200, neg.Distances.Length);
        for (int p = 0; p < 200; p++)
        {
            Assert.NotEqual(pos.First[p], pos.Second[p]);
            Assert.Equal(labels[pos.First[p]], labels[pos.Second[p]]);
            Assert.Equal(Dist(emb, dim, pos.First[p], pos.Second[p]), pos.Distances[p], 12);
            Assert.NotEqual(labels[neg.First[p]], labels[neg.Second[p]]);
            Assert.Equal(Dist(emb, dim, neg.First[p], neg.Second[p]), neg.Distances[p], 12);
        }
        // Classes are shifted apart by their label, so negatives are farther on average.
        Assert.True(neg.Distances.Average() > pos.Distances.Average());
        var again = ReportData.SamplePairs(emb, dim, labels, 200, 5);
        Assert.Equal(pos.First, again.Positive.First);
        Assert.Equal(neg.Second, again.Negative.Second);
        // Every anchor with a partner is reachable: many distinct anchors get drawn.
        Assert.True(pos.First.Distinct().Count() > 25);
    }

    [Fact]
    public void SamplePairs_EdgeCases()
    {
        // One class: no negatives. All singletons: no positives. Only class 1 has two items: positives only from it.
        var (one, _) = Points(5, 2, 1, 1);
        var (p1, n1) = ReportData.SamplePairs(one, 2, [0, 0, 0, 0, 0], 10, 1);
        Assert.Equal(10, p1.Distances.Length);
        Assert.Empty(n1.Distances);
        var (p2, n2) = ReportData.SamplePairs(one, 2, [0, 1, 2, 3, 4], 10, 1);
        Assert.Empty(p2.Distances);
        Assert.Equal(10, n2.Distances.Length);
        var (p3, _) = ReportData.SamplePairs(one, 2, [0, 1, 2, 1, 4], 10, 1);
        Assert.All(p3.First, a => Assert.Contains(a, new[] { 1, 3 }));
        Assert.Empty(ReportData.SamplePairs(one, 2, [0, 0, 1, 1, 1], 0, 1).Positive.Distances);
        Assert.Throws<ArgumentException>(() => ReportData.SamplePairs(one, 3, [0, 0, 1, 1, 1], 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReportData.SamplePairs(one, 0, [0, 0, 1, 1, 1], 1, 1));
    }

    [Fact]
    public void NearestNeighbours_MatchBruteForce_LeaveTheQueryOut()
    {
        const int dim = 4, n = 30;
        var (emb, _) = Points(n, dim, 3, 8);
        int[] queries = [0, 7, 29];
        var nn = ReportData.NearestNeighbours(emb, dim, n, queries, 5);
        for (int q = 0; q < queries.Length; q++)
        {
            var expected = Enumerable.Range(0, n).Where(i => i != queries[q]).OrderBy(i => Dist(emb, dim, queries[q], i)).ThenBy(i => i).Take(5);
            Assert.Equal(expected, nn[q]);
        }
        // k larger than the others: all of them. Duplicated points tie, broken by index.
        Assert.Equal(2, ReportData.NearestNeighbours(new float[] { 0, 0, 0 }, 1, 3, [1], 10)[0].Length);
        Assert.Equal([0, 2], ReportData.NearestNeighbours(new float[] { 0, 0, 0 }, 1, 3, [1], 10)[0]);
    }
}
