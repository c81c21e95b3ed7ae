using DeepMetric.Analysis;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Analysis;

public sealed class TSneTests
{
    private static (float[] Data, int[] Labels) Clusters(int perCluster, int dim, ulong seed)
    {
        var rng = new Prng(seed);
        int n = 3 * perCluster;
        var data = new float[n * dim];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % 3;
            labels[i] = c;
            for (int j = 0; j < dim; j++)
            {
                double centre = j == c ? 10 : 0;
                data[(i * dim) + j] = (float)(centre + rng.NextNormal());
            }
        }
        return (data, labels);
    }

    // Leave-one-out 1-NN label agreement in the map, by brute force.
    private static double NeighbourAgreement(float[] y, int[] labels)
    {
        int n = labels.Length, agree = 0;
        for (int i = 0; i < n; i++)
        {
            int best = -1;
            double bestD = double.PositiveInfinity;
            for (int j = 0; j < n; j++)
            {
                if (j == i)
                {
                    continue;
                }
                double dx = y[2 * i] - y[2 * j], dy = y[(2 * i) + 1] - y[(2 * j) + 1];
                double d = (dx * dx) + (dy * dy);
                if (d < bestD)
                {
                    bestD = d;
                    best = j;
                }
            }
            agree += labels[best] == labels[i] ? 1 : 0;
        }
        return agree / (double)n;
    }

    [Fact]
    public void ThreeGaussianClusters_StayApart()
    {
        (float[] data, int[] labels) = Clusters(50, 10, 3);
        float[] y = TSne.Embed(data, 150, 10, new TSneOptions { Seed = 11 });
        Assert.Equal(300, y.Length);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.True(NeighbourAgreement(y, labels) >= 0.95);

        // Between-cluster centroid gaps dwarf the spread inside clusters.
        var cx = new double[3];
        var cy = new double[3];
        for (int i = 0; i < 150; i++)
        {
            cx[labels[i]] += y[2 * i] / 50.0;
            cy[labels[i]] += y[(2 * i) + 1] / 50.0;
        }
        double spread = 0;
        for (int i = 0; i < 150; i++)
        {
            spread += Math.Sqrt(Math.Pow(y[2 * i] - cx[labels[i]], 2) + Math.Pow(y[(2 * i) + 1] - cy[labels[i]], 2)) / 150;
        }
        for (int a = 0; a < 3; a++)
        {
            for (int b = a + 1; b < 3; b++)
            {
                double gap = Math.Sqrt(Math.Pow(cx[a] - cx[b], 2) + Math.Pow(cy[a] - cy[b], 2));
                Assert.True(gap > 2 * spread, $"gap {gap} vs spread {spread}");
            }
        }
    }

    [Fact]
    public void SameSeed_SameMap_OtherSeed_OtherMap()
    {
        (float[] data, _) = Clusters(10, 4, 5);
        var options = new TSneOptions { Perplexity = 5, Iterations = 200, Seed = 1 };
        float[] a = TSne.Embed(data, 30, 4, options);
        float[] b = TSne.Embed(data, 30, 4, options);
        float[] c = TSne.Embed(data, 30, 4, options with { Seed = 2 });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Affinities_MatchPerplexityAndAreSymmetric()
    {
        (float[] data, _) = Clusters(10, 3, 9);
        const int n = 30;
        const double perplexity = 6;
        float[] p = TSne.Affinities(data, n, 3, perplexity);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(0, p[(i * n) + i]);
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(p[(i * n) + j], p[(j * n) + i]);
                total += p[(i * n) + j];
            }
        }
        Assert.Equal(1, total, 4);

        // Independent reference: per point, bisection on σ (not on β as in the code) until the entropy of
        // p_·|i is log(perplexity); then symmetrise.
        var cond = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            var d2 = new double[n];
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < 3; k++)
                {
                    double diff = data[(i * 3) + k] - data[(j * 3) + k];
                    d2[j] += diff * diff;
                }
            }
            double[] Row(double sigma)
            {
                var q = new double[n];
                double sum = 0;
                for (int j = 0; j < n; j++)
                {
                    q[j] = j == i ? 0 : Math.Exp(-d2[j] / (2 * sigma * sigma));
                    sum += q[j];
                }
                for (int j = 0; j < n; j++)
                {
                    q[j] /= sum;
                }
                return q;
            }
            double Entropy(double sigma)
            {
                double h = 0;
                foreach (double q in Row(sigma))
                {
                    h -= q > 0 ? q * Math.Log(q) : 0;
                }
                return h;
            }
            double lo = 1e-2, hi = 1e3;
            for (int it = 0; it < 200; it++)
            {
                double mid = Math.Sqrt(lo * hi);
                if (Entropy(mid) > Math.Log(perplexity))
                {
                    hi = mid;
                }
                else
                {
                    lo = mid;
                }
            }
            double[] row = Row(lo);
            for (int j = 0; j < n; j++)
            {
                cond[i, j] = row[j];
            }
        }
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i != j)
                {
                    double expected = Math.Max((cond[i, j] + cond[j, i]) / (2 * n), 1e-12);
                    Assert.True(Math.Abs(expected - p[(i * n) + j]) <= 1e-3 * expected + 1e-9, $"p[{i},{j}] = {p[(i * n) + j]}, expected {expected}");
                }
            }
        }
    }

    [Fact]
    public void EdgeCasesAndBadArguments()
    {
        Assert.Equal([0f, 0f], TSne.Embed([1f, 2f], 1, 2));
        float[] two = TSne.Embed([0f, 0f, 1f, 1f], 2, 2, new TSneOptions { Perplexity = 1, Iterations = 50 });
        Assert.All(two, v => Assert.True(float.IsFinite(v)));
        // Duplicate points must not produce NaN.
        float[] dup = TSne.Embed(new float[20], 10, 2, new TSneOptions { Perplexity = 3, Iterations = 50 });
        Assert.All(dup, v => Assert.True(float.IsFinite(v)));
        Assert.Throws<ArgumentException>(() => TSne.Embed([0f, 0f, 1f, 1f], 2, 2, new TSneOptions { Perplexity = 5 }));
        Assert.Throws<ArgumentException>(() => TSne.Embed([0f, 1f, 2f], 2, 2));
        Assert.Throws<ArgumentException>(() => TSne.Embed([0f, float.NaN], 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => TSne.Embed(new float[TSne.MaxPoints + 1], TSne.MaxPoints + 1, 1, new TSneOptions { Method = TSneMethod.Exact }));
        Assert.Throws<ArgumentException>(() => TSne.Embed([0f, 0f, 1f, 1f], 2, 2, new TSneOptions { Perplexity = 1, Theta = 1.5 }));
        Assert.Throws<ArgumentException>(() => TSne.Embed([0f, 0f, 1f, 1f], 2, 2, new TSneOptions { Perplexity = 1, Theta = double.NaN }));
        Assert.Throws<ArgumentException>(() => TSne.Embed([0f, 0f, 1f, 1f], 2, 2, new TSneOptions { Perplexity = 1, Method = (TSneMethod)42 }));
        Assert.Throws<ArgumentException>(() => TSne.Embed([0f, 0f, 1f, 1f], 2, 2, new TSneOptions { Perplexity = 1, LearningRate = 0 }));
    }

    [Fact]
    public void BarnesHut_KeepsClusterStructureLikeExact()
    {
        (float[] data, int[] labels) = Clusters(200, 10, 21);
        var options = new TSneOptions { Seed = 4, Iterations = 500, Method = TSneMethod.BarnesHut };
        float[] bh = TSne.Embed(data, 600, 10, options);
        float[] exact = TSne.Embed(data, 600, 10, options with { Method = TSneMethod.Exact });
        Assert.All(bh, v => Assert.True(float.IsFinite(v)));
        double bhAgreement = NeighbourAgreement(bh, labels);
        Assert.True(bhAgreement >= 0.95, $"Barnes–Hut 1-NN agreement {bhAgreement}");
        Assert.True(NeighbourAgreement(exact, labels) >= 0.95);
        Assert.NotEqual(bh, exact);
    }

    [Fact]
    public void BarnesHut_SameSeed_SameMap_OtherSeed_OtherMap()
    {
        (float[] data, _) = Clusters(20, 4, 5);
        var options = new TSneOptions { Perplexity = 5, Iterations = 200, Seed = 1, Method = TSneMethod.BarnesHut };
        float[] a = TSne.Embed(data, 60, 4, options);
        float[] b = TSne.Embed(data, 60, 4, options);
        float[] c = TSne.Embed(data, 60, 4, options with { Seed = 2 });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void BarnesHut_TinyAndDegenerateInputsStayFinite()
    {
        var bh = new TSneOptions { Perplexity = 1, Iterations = 50, Method = TSneMethod.BarnesHut };
        Assert.All(TSne.Embed([0f, 0f, 1f, 1f], 2, 2, bh), v => Assert.True(float.IsFinite(v)));
        Assert.All(TSne.Embed(new float[40], 20, 2, bh with { Perplexity = 3 }), v => Assert.True(float.IsFinite(v)));
        Assert.Equal([0f, 0f], TSne.Embed([3f], 1, 1, bh));
    }

    [Fact]
    public void SparseConditional_RowsAreTheNearestNeighboursAndSumToOne()
    {
        (float[] data, _) = Clusters(20, 5, 13);
        const int n = 60, d = 5;
        const double perplexity = 4;
        SparseAffinities cond = TSne.SparseConditional(data, n, d, perplexity);
        const int k = 12;
        Assert.Equal(n * k, cond.Columns.Length);
        for (int i = 0; i < n; i++)
        {
            // Brute-force distances in double: the chosen columns must be exactly the k nearest others.
            var d2 = new double[n];
            for (int j = 0; j < n; j++)
            {
                for (int c = 0; c < d; c++)
                {
                    double diff = data[(i * d) + c] - data[(j * d) + c];
                    d2[j] += diff * diff;
                }
            }
            d2[i] = double.PositiveInfinity;
            var order = new int[n];
            for (int j = 0; j < n; j++)
            {
                order[j] = j;
            }
            Array.Sort((double[])d2.Clone(), order);
            var expected = new HashSet<int>(order[..k]);
            double sum = 0, entropy = 0;
            for (int e = cond.RowStart[i]; e < cond.RowStart[i + 1]; e++)
            {
                Assert.Contains(cond.Columns[e], expected);
                double v = cond.Values[e];
                sum += v;
                entropy -= v > 0 ? v * Math.Log(v) : 0;
            }
            Assert.Equal(1, sum, 5);
            Assert.Equal(Math.Log(perplexity), entropy, 3);
        }

        SparseAffinities p = TSne.Symmetrise(cond);
        var dense = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int e = cond.RowStart[i]; e < cond.RowStart[i + 1]; e++)
            {
                dense[i, cond.Columns[e]] += cond.Values[e] / (2.0 * n);
                dense[cond.Columns[e], i] += cond.Values[e] / (2.0 * n);
            }
        }
        double total = 0;
        int nonZero = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                nonZero += dense[i, j] > 0 ? 1 : 0;
            }
            int previous = -1;
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
            {
                Assert.True(p.Columns[e] > previous, "columns sorted and unique");
                previous = p.Columns[e];
                Assert.Equal(dense[i, p.Columns[e]], p.Values[e], 1e-7);
                total += p.Values[e];
            }
        }
        Assert.Equal(nonZero, p.Columns.Length);
        Assert.Equal(1, total, 5);
    }
}
