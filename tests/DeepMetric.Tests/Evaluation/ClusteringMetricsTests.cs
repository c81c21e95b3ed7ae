using DeepMetric.Evaluation;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Evaluation;

public sealed class ClusteringMetricsTests
{
    // E[MI] by exact hypergeometric probabilities (binomial coefficients in double), independent of the log-gamma path.
    private static double ExpectedMi(int[] rows, int[] cols)
    {
        int n = rows.Sum();
        static double Choose(int a, int b)
        {
            double r = 1;
            for (int i = 1; i <= b; i++)
            {
                r = r * (a - b + i) / i;
            }
            return r;
        }
        double e = 0;
        foreach (int a in rows)
        {
            foreach (int b in cols)
            {
                for (int nij = Math.Max(1, a + b - n); nij <= Math.Min(a, b); nij++)
                {
                    double p = Choose(a, nij) * Choose(n - a, b - nij) / Choose(n, b);
                    e += nij / (double)n * Math.Log(n * (double)nij / (a * (double)b)) * p;
                }
            }
        }
        return e;
    }

    [Fact]
    public void IdenticalAndRenamedLabelingsScoreOne()
    {
        Assert.Equal(1.0, ClusteringMetrics.Nmi([0, 0, 1, 1, 2], [5, 5, 3, 3, 9]), 1e-12);
        Assert.Equal(1.0, ClusteringMetrics.Ami([0, 0, 1, 1, 2], [5, 5, 3, 3, 9]), 1e-12);
        Assert.Equal(1.0, ClusteringMetrics.Nmi([4, 4, 4], [1, 1, 1]));
        Assert.Equal(1.0, ClusteringMetrics.Ami([4, 4, 4], [1, 1, 1]));
    }

    [Fact]
    public void IndependentTwoByTwo()
    {
        // Table [[1,1],[1,1]]: MI 0. E[MI]: each of 4 cells has n_ij = 2 with probability 1/6, contributing (2/4)·ln 2 · 1/6;
        // n_ij = 1 contributes log 1 = 0. So E = 4 · ln2/12 = ln2/3, and AMI = (0 − ln2/3)/(ln2 − ln2/3) = −1/2.
        Assert.Equal(0.0, ClusteringMetrics.Nmi([0, 0, 1, 1], [0, 1, 0, 1]), 1e-12);
        Assert.Equal(-0.5, ClusteringMetrics.Ami([0, 0, 1, 1], [0, 1, 0, 1]), 1e-12);
    }

    [Fact]
    public void TwoByThreeTable()
    {
        // Table [[2,1,0],[0,1,2]], N 6: MI = (1/3)ln2 + 0 + 0 + (1/3)ln2 = (2/3)ln2; H(U) = ln2, H(V) = ln3.
        int[] a = [0, 0, 0, 1, 1, 1];
        int[] b = [0, 0, 1, 1, 2, 2];
        double mi = 2.0 / 3 * Math.Log(2);
        double mean = (Math.Log(2) + Math.Log(3)) / 2;
        Assert.Equal(mi / mean, ClusteringMetrics.Nmi(a, b), 1e-12);
        double e = ExpectedMi([3, 3], [2, 2, 2]);
        Assert.Equal((mi - e) / (mean - e), ClusteringMetrics.Ami(a, b), 1e-10);
    }

    [Fact]
    public void ImbalancedTableAgainstExactExpectation()
    {
        // Table [[5,1],[2,0],[0,4]] (rows 6, 2, 4; columns 7, 5; N 12).
        int[] a = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
        int[] b = [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1];
        double n = 12;
        double mi = (5 / n * Math.Log(n * 5 / (6 * 7))) + (1 / n * Math.Log(n * 1 / (6 * 5))) + (2 / n * Math.Log(n * 2 / (2 * 7)))
            + (4 / n * Math.Log(n * 4 / (4 * 5)));
        double ha = -((0.5 * Math.Log(0.5)) + (2 / n * Math.Log(2 / n)) + (4 / n * Math.Log(4 / n)));
        double hb = -((7 / n * Math.Log(7 / n)) + (5 / n * Math.Log(5 / n)));
        double e = ExpectedMi([6, 2, 4], [7, 5]);
        Assert.Equal(mi / ((ha + hb) / 2), ClusteringMetrics.Nmi(a, b), 1e-12);
        Assert.Equal((mi - e) / (((ha + hb) / 2) - e), ClusteringMetrics.Ami(a, b), 1e-10);
    }

    [Fact]
    public void KMeansRecoversSeparatedClusters()
    {
        var rng = new Prng(3);
        const int perClass = 20, dim = 3;
        var x = new float[3 * perClass * dim];
        var labels = new int[3 * perClass];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = i % 3;
            for (int t = 0; t < dim; t++)
            {
                x[(i * dim) + t] = (t == labels[i] ? 10f : 0f) + (0.3f * (float)rng.NextNormal());
            }
        }
        var scores = ClusteringMetrics.Compute(Tensor.FromArray(x, labels.Length, dim), labels, seed: 1);
        Assert.Equal(3, scores.Clusters);
        Assert.Equal(1.0, scores.Nmi, 1e-9);
        Assert.Equal(1.0, scores.Ami, 1e-9);
        Assert.Equal(KMeans.Cluster(x, labels.Length, dim, 3, seed: 7), KMeans.Cluster(x, labels.Length, dim, 3, seed: 7));
    }

    [Fact]
    public void KMeansEdgeCasesAndBadArguments()
    {
        Assert.Equal([0], KMeans.Cluster([1f, 2f], 1, 2, 1));
        var dup = KMeans.Cluster([1f, 1f, 1f, 1f], 4, 1, 2);   // duplicates: no NaN, valid assignments
        Assert.All(dup, c => Assert.InRange(c, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>("k", () => KMeans.Cluster([1f, 2f], 2, 1, 3));
        Assert.Throws<ArgumentException>("points", () => KMeans.Cluster([1f, 2f], 3, 1, 1));
        Assert.Throws<ArgumentException>("b", () => ClusteringMetrics.Nmi([0, 1], [0]));
        Assert.Throws<ArgumentException>("embeddings", () => ClusteringMetrics.Compute(Tensor.Zeros(2, 2), [0]));
    }
}
