using DeepMetric.Dedup;
using DeepMetric.Search;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Dedup;

public sealed class DeduplicatorTests
{
    private const int Dim = 8;

    /// <summary>
    /// Ten distinct base items far apart (Gaussian × 10), plus: two exact copies of base 0, a copy of base 3 with noise
    /// of 0.01 per coordinate, an exact and a noisy copy of base 7. Expected groups (rows):
    /// {0, 10, 11}, {3, 12}, {7, 13, 14}; every other row is unique.
    /// </summary>
    private static (string[] Ids, float[] Vectors, int[][] Expected) Collection()
    {
        var rng = new Prng(11);
        var rows = new List<float[]>();
        for (int i = 0; i < 10; i++)
        {
            rows.Add(Enumerable.Range(0, Dim).Select(_ => (float)(10 * rng.NextNormal())).ToArray());
        }
        float[] Noisy(int of) => rows[of].Select(x => x + (float)(0.01 * rng.NextNormal())).ToArray();
        rows.Add((float[])rows[0].Clone());
        rows.Add((float[])rows[0].Clone());
        rows.Add(Noisy(3));
        rows.Add((float[])rows[7].Clone());
        rows.Add(Noisy(7));
        var ids = Enumerable.Range(0, rows.Count).Select(i => $"img{i:D2}").ToArray();
        return (ids, rows.SelectMany(r => r).ToArray(), [[0, 10, 11], [3, 12], [7, 13, 14]]);
    }

    [Theory]
    [InlineData(VectorIndexKind.Flat, VectorMetric.L2)]
    [InlineData(VectorIndexKind.Hnsw, VectorMetric.L2)]
    [InlineData(VectorIndexKind.Flat, VectorMetric.Cosine)]
    [InlineData(VectorIndexKind.Hnsw, VectorMetric.Cosine)]
    public void FindsTheKnownGroups(VectorIndexKind kind, VectorMetric metric)
    {
        var (ids, vectors, expected) = Collection();
        // Noise of 0.01 × √8 ≈ 0.03 in L2 and ~1e-5 in cosine; distinct base items are ~40 apart (cosine ~1).
        float threshold = metric == VectorMetric.L2 ? 0.5f : 0.01f;
        var result = new Deduplicator(new DedupOptions(threshold, kind)).Run(ids, vectors, Dim, metric);
        Assert.Equal(expected.Length, result.Groups.Count);
        for (int g = 0; g < expected.Length; g++)
        {
            var group = result.Groups[g];
            Assert.Equal(expected[g], group.Rows);
            Assert.Equal(expected[g].Select(r => ids[r]), group.Ids);
            Assert.Equal(ids[expected[g][0]], group.Representative);
            for (int m = 0; m < group.Size; m++)
            {
                double reference = SearchTestDataDistance(metric, vectors.AsSpan(expected[g][0] * Dim, Dim), vectors.AsSpan(expected[g][m] * Dim, Dim));
                Assert.Equal(reference, group.DistancesToRepresentative[m], 4);
            }
        }
        Assert.Equal(0f, result.Groups[0].DistancesToRepresentative[1]);
        Assert.Equal(3, result.ExactCopies);
        Assert.Equal(2, result.NearPairs); // 3–12 and 7–14 (copies collapsed, so 13–14 is not counted again)
        Assert.Equal(5, result.RedundantItems);
        Assert.Equal((15, threshold, metric, kind), (result.ItemCount, result.Threshold, result.Metric, result.IndexKind));
    }

    [Theory]
    [InlineData(VectorIndexKind.Flat)]
    [InlineData(VectorIndexKind.Hnsw)]
    public void ChainsFormOneComponent(VectorIndexKind kind)
    {
        // 0 – 1 – 2 each 0.8 apart; 0 and 2 are 1.6 apart, beyond the threshold 1, but connected through 1.
        var result = new Deduplicator(new DedupOptions(1f, kind)).Run(["a", "b", "c", "far"], [0f, 0.8f, 1.6f, 50f], 1, VectorMetric.L2);
        var group = Assert.Single(result.Groups);
        Assert.Equal(["a", "b", "c"], group.Ids);
        Assert.Equal(1.6f, group.DistancesToRepresentative[2], 5);
        Assert.Equal(2, result.NearPairs);
    }

    [Fact]
    public void HundredsOfExactCopiesAreAllFoundWithHnsw()
    {
        // Many identical vectors are the HNSW weak spot; collapsing them first makes the group complete.
        var rng = new Prng(5);
        int n = 600;
        var vectors = new float[n * Dim];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < Dim; j++)
            {
                vectors[(i * Dim) + j] = i % 2 == 0 ? j : (float)rng.NextNormal() * 100;
            }
        }
        var ids = Enumerable.Range(0, n).Select(i => $"x{i}").ToArray();
        var result = new Deduplicator(new DedupOptions(1e-3f, VectorIndexKind.Hnsw)).Run(ids, vectors, Dim, VectorMetric.L2);
        var group = Assert.Single(result.Groups);
        Assert.Equal(n / 2, group.Size);
        Assert.Equal(n / 2 - 1, result.ExactCopies);
    }

    [Theory]
    [InlineData(VectorIndexKind.Flat)]
    [InlineData(VectorIndexKind.Hnsw)]
    public void MatchesABruteForceDoubleLoopOnRandomClusters(VectorIndexKind kind)
    {
        // 300 points: 100 centres and two jittered copies of some; groups compared with union–find over a double loop.
        var rng = new Prng(9);
        int n = 300;
        var v = new float[n * Dim];
        for (int i = 0; i < n; i++)
        {
            int centre = i < 100 ? i : rng.NextInt(100);
            var crng = new Prng((ulong)centre + 1000);
            for (int j = 0; j < Dim; j++)
            {
                v[(i * Dim) + j] = (float)(crng.NextNormal() * 5) + (i < 100 ? 0f : (float)(rng.NextNormal() * 0.05));
            }
        }
        var ids = Enumerable.Range(0, n).Select(i => $"p{i}").ToArray();
        float threshold = 0.4f;
        var result = new Deduplicator(new DedupOptions(threshold, kind)).Run(ids, v, Dim, VectorMetric.L2);
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int x) => parent[x] == x ? x : parent[x] = Find(parent[x]);
        long pairs = 0;
        for (int a = 0; a < n; a++)
        {
            for (int b = a + 1; b < n; b++)
            {
                if (SearchTestDataDistance(VectorMetric.L2, v.AsSpan(a * Dim, Dim), v.AsSpan(b * Dim, Dim)) <= threshold)
                {
                    pairs++;
                    parent[Find(b)] = Find(a);
                }
            }
        }
        var expected = Enumerable.Range(0, n).GroupBy(Find).Where(g => g.Count() > 1).Select(g => g.OrderBy(r => r).ToArray()).OrderBy(g => g[0]).ToArray();
        Assert.Equal(expected, result.Groups.Select(g => g.Rows).ToArray());
        Assert.Equal(pairs, result.NearPairs);
    }

    [Fact]
    public void EmptyAndSingleInputs()
    {
        var dedup = new Deduplicator(new DedupOptions(1f));
        Assert.Empty(dedup.Run([], [], 3, VectorMetric.L2).Groups);
        Assert.Empty(dedup.Run(["only"], [1f, 2f, 3f], 3, VectorMetric.L2).Groups);
    }

    [Fact]
    public void RunsOnAStore()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dm-dedup-{Environment.ProcessId}.dmstore");
        try
        {
            EmbeddingStore.Write(path, [0f, 0f, 0f, 0.1f, 5f, 5f], 2, ["a", "b", "c"], [], new EmbeddingMetadata("m", VectorMetric.L2, "none"));
            using var store = EmbeddingStore.Open(path);
            var group = Assert.Single(new Deduplicator(new DedupOptions(0.2f)).Run(store).Groups);
            Assert.Equal(["a", "b"], group.Ids);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Throws<ArgumentException>("options", () => new Deduplicator(new DedupOptions(float.NaN)));
        Assert.Throws<ArgumentOutOfRangeException>("options", () => new Deduplicator(new DedupOptions(1f, (VectorIndexKind)7)));
        var dedup = new Deduplicator(new DedupOptions(1f));
        Assert.Throws<ArgumentException>("ids", () => dedup.Run(["a", "a"], [0f, 1f], 1, VectorMetric.L2));
        Assert.Throws<ArgumentException>("vectors", () => dedup.Run(["a", "b"], [0f], 1, VectorMetric.L2));
        Assert.Throws<ArgumentException>("vectors", () => dedup.Run(["a", "b"], [0f, float.NaN], 1, VectorMetric.L2));
        Assert.Throws<ArgumentOutOfRangeException>("metric", () => dedup.Run(["a"], [0f], 1, (VectorMetric)5));
    }

    private static double SearchTestDataDistance(VectorMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        DeepMetric.Tests.Search.SearchTestData.Distance(metric, a, b);
}
