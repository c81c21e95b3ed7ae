using DeepMetric.Evaluation;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Evaluation;

public sealed class KnnTests
{
    // Brute force in double: all distances, sorted by (distance, index).
    private static (int[] Idx, double[] Dist) Reference(float[] q, int nq, float[] r, int nr, int dim, int k, bool cosine, bool loo)
    {
        var idx = new int[nq * k];
        var dist = new double[nq * k];
        for (int i = 0; i < nq; i++)
        {
            var list = new List<(double D, int J)>();
            for (int j = 0; j < nr; j++)
            {
                if (loo && i == j)
                {
                    continue;
                }
                double dot = 0, nq2 = 0, nr2 = 0, sq = 0;
                for (int t = 0; t < dim; t++)
                {
                    double a = q[(i * dim) + t], b = r[(j * dim) + t];
                    dot += a * b;
                    nq2 += a * a;
                    nr2 += b * b;
                    sq += (a - b) * (a - b);
                }
                list.Add((cosine ? 1 - (dot / Math.Sqrt(nq2 * nr2)) : Math.Sqrt(sq), j));
            }
            list.Sort();
            for (int t = 0; t < k; t++)
            {
                idx[(i * k) + t] = list[t].J;
                dist[(i * k) + t] = list[t].D;
            }
        }
        return (idx, dist);
    }

    private static float[] RandomData(ulong seed, int n, int dim)
    {
        var rng = new Prng(seed);
        var x = new float[n * dim];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)rng.NextNormal();
        }
        return x;
    }

    [Theory]
    [InlineData(false, false, 1L << 30)]
    [InlineData(false, true, 1L << 30)]
    [InlineData(true, false, 1L << 30)]
    [InlineData(true, true, 1L << 30)]
    [InlineData(false, true, 4 * 37 * 3)]   // 3 queries per chunk: several chunks and a short last one
    [InlineData(true, false, 1)]            // one query per chunk
    public void MatchesBruteForce(bool cosine, bool loo, long chunkBytes)
    {
        const int nq = 37, dim = 5, k = 7;
        int nr = loo ? nq : 23;
        var q = RandomData(1, nq, dim);
        var r = loo ? q : RandomData(2, nr, dim);
        var result = Knn.Search(q, nq, r, nr, dim, k, cosine ? KnnMetric.Cosine : KnnMetric.Euclidean, loo, chunkBytes);
        var (idx, dist) = Reference(q, nq, r, nr, dim, k, cosine, loo);
        Assert.Equal(idx, result.Indices);
        for (int i = 0; i < dist.Length; i++)
        {
            Assert.Equal(dist[i], result.Distances[i], 1e-4);
        }
        Assert.Equal(nq, result.QueryCount);
    }

    [Fact]
    public void TiesGoToTheLowerIndexAndSelfIsLeftOut()
    {
        // Points on a line: 0, 1, 1, 2, 0. Query 0 has reference 4 at distance 0 and 1, 2 tied at 1.
        var x = Tensor.FromArray([0f, 1f, 1f, 2f, 0f], 5, 1);
        var result = Knn.Search(x, null, 4);
        Assert.Equal([4, 1, 2, 3], result.Neighbours(0).ToArray());
        Assert.Equal([2, 0, 3, 4], result.Neighbours(1).ToArray());   // 2 at 0; 0, 3 and 4 all at 1
        Assert.Equal([0f, 1f, 1f, 2f], result.Distances.AsSpan(0, 4).ToArray());
    }

    [Fact]
    public void DuplicatesAndZeroVectorsAreFinite()
    {
        var x = Tensor.FromArray([0f, 0f, 0f, 0f, 1f, 1f], 3, 2);
        var e = Knn.Search(x, null, 2);
        Assert.Equal([1, 2], e.Neighbours(0).ToArray());
        Assert.Equal(0f, e.Distances[0]);
        var c = Knn.Search(x, null, 2, KnnMetric.Cosine);
        Assert.All(c.Distances, d => Assert.True(float.IsFinite(d)));
    }

    [Fact]
    public void KZeroAndBadArguments()
    {
        var x = Tensor.FromArray([0f, 1f, 2f], 3, 1);
        Assert.Empty(Knn.Search(x, null, 0).Indices);
        Assert.Throws<ArgumentOutOfRangeException>("k", () => Knn.Search(x, null, 3));
        Assert.Throws<ArgumentOutOfRangeException>("k", () => Knn.Search(x, x, 4));
        Assert.Throws<ArgumentException>("references", () => Knn.Search(x, Tensor.Zeros(3, 2), 1));
        Assert.Throws<ArgumentException>("queries", () => Knn.Search(Tensor.Zeros(3), null, 1));
    }

    [Fact]
    public void ManyTiesOnAGridMatchBruteForce()
    {
        // Integer points: exact float distances, so ties are real and must go to the lower index. Over 1 024
        // references, so the selection takes its sampled-threshold path.
        const int n = 1100, dim = 2, k = 230;
        var rng = new Prng(3);
        var x = new float[n * dim];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextInt(9) - 4;
        }
        var result = Knn.Search(x, n, x, n, dim, k, KnnMetric.Euclidean, leaveOneOut: true);
        var (idx, dist) = Reference(x, n, x, n, dim, k, cosine: false, loo: true);
        Assert.Equal(idx, result.Indices);
        for (int i = 0; i < dist.Length; i++)
        {
            Assert.Equal(dist[i], result.Distances[i], 1e-5);
        }
    }
}
