using DeepMetric.Evaluation;
using DeepMetric.Search;
using DeepMetric.Tests.Data;

namespace DeepMetric.Tests.Search;

public sealed class FlatIndexTests
{
    private const int Dim = 12;

    public static TheoryData<VectorMetric> Metrics => new() { VectorMetric.L2, VectorMetric.Cosine, VectorMetric.InnerProduct };

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Search_MatchesBruteForce(VectorMetric metric)
    {
        const int n = 300, nq = 7, k = 10;
        var data = SearchTestData.Gaussian(n, Dim, 1);
        var queries = SearchTestData.Gaussian(nq, Dim, 2);
        var labels = Enumerable.Range(0, n).Select(i => i % 5).ToArray();
        var index = new FlatIndex(Dim, metric);
        index.Add(SearchTestData.Ids(n), data, labels);
        var batch = index.Search(queries, nq, k);
        for (int q = 0; q < nq; q++)
        {
            var qv = queries.AsSpan(q * Dim, Dim);
            var expected = SearchTestData.BruteForce(metric, data, Dim, qv);
            var single = index.Search(qv, k);
            Assert.Equal(k, batch[q].Length);
            for (int r = 0; r < k; r++)
            {
                Assert.Equal(expected[r].Distance, batch[q][r].Distance, 1e-4);
                Assert.Equal(batch[q][r], single[r]);
                // Random data has no near-ties at this tolerance, so the ids must agree too.
                Assert.Equal($"item{expected[r].Index}", batch[q][r].Id);
                Assert.Equal(expected[r].Index % 5, batch[q][r].Label);
            }
        }
    }

    [Fact]
    public void Search_KGreaterThanCount_ReturnsAll()
    {
        var data = SearchTestData.Gaussian(3, Dim, 3);
        var index = new FlatIndex(Dim, VectorMetric.L2);
        index.Add(["a", "b", "c"], data);
        var hits = index.Search(data.AsSpan(0, Dim), 10);
        Assert.Equal(3, hits.Length);
        Assert.Equal("a", hits[0].Id);
        Assert.Equal(0f, hits[0].Distance);
        Assert.Equal(-1, hits[0].Label);
        Assert.True(hits[1].Distance <= hits[2].Distance);
    }

    [Fact]
    public void Search_Empty_ReturnsNothing()
    {
        var index = new FlatIndex(4, VectorMetric.Cosine);
        Assert.Empty(index.Search(new float[4], 3));
        Assert.Empty(index.RangeSearch(new float[4], 1f));
    }

    [Fact]
    public void Remove_ExcludesIdAndKeepsOthersCorrect()
    {
        const int n = 200;
        var data = SearchTestData.Gaussian(n, Dim, 4);
        var index = new FlatIndex(Dim, VectorMetric.L2);
        index.Add(SearchTestData.Ids(n), data);
        var removed = new HashSet<int> { 0, 17, 199, 50 };
        foreach (int r in removed)
        {
            Assert.True(index.Remove($"item{r}"));
        }
        Assert.False(index.Remove("item17"));
        Assert.False(index.Contains("item17"));
        Assert.Equal(n - removed.Count, index.Count);
        var query = data.AsSpan(17 * Dim, Dim);
        var expected = SearchTestData.BruteForce(VectorMetric.L2, data, Dim, query, removed);
        var hits = index.Search(query, 5);
        for (int r = 0; r < 5; r++)
        {
            Assert.Equal($"item{expected[r].Index}", hits[r].Id);
            Assert.Equal(expected[r].Distance, hits[r].Distance, 1e-4);
        }
        // A removed id can be added again.
        index.Add(["item17"], query);
        Assert.Equal("item17", index.Search(query, 1)[0].Id);
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void RangeSearch_MatchesBruteForce(VectorMetric metric)
    {
        const int n = 400;
        var data = SearchTestData.Gaussian(n, Dim, 5);
        var query = SearchTestData.Gaussian(1, Dim, 6);
        var index = new FlatIndex(Dim, metric);
        index.Add(SearchTestData.Ids(n), data);
        var expected = SearchTestData.BruteForce(metric, data, Dim, query);
        // A radius halfway between the 20th and 21st distances: no point near the boundary.
        float radius = (float)((expected[19].Distance + expected[20].Distance) / 2);
        var hits = index.RangeSearch(query, radius);
        Assert.Equal(20, hits.Length);
        for (int r = 0; r < 20; r++)
        {
            Assert.Equal($"item{expected[r].Index}", hits[r].Id);
            Assert.Equal(expected[r].Distance, hits[r].Distance, 1e-4);
        }
    }

    [Fact]
    public void Cosine_ZeroVectorsHaveDistanceOne()
    {
        var index = new FlatIndex(3, VectorMetric.Cosine);
        index.Add(["zero", "x"], [0, 0, 0, 1, 0, 0]);
        var hits = index.Search([0f, 0f, 0f], 2);
        Assert.All(hits, h => Assert.Equal(1f, h.Distance));
        var fromX = index.Search([2f, 0f, 0f], 2);
        Assert.Equal("x", fromX[0].Id);
        Assert.Equal(0f, fromX[0].Distance, 1e-6f);
    }

    [Fact]
    public void ManyQueriesAndRows_SpanSeveralChunks()
    {
        // 9 000 rows × 130 queries crosses both the query block (128) and the row chunk (2^20 / 128 = 8 192).
        const int n = 9000, nq = 130, dim = 4;
        var data = SearchTestData.Gaussian(n, dim, 7);
        var queries = SearchTestData.Gaussian(nq, dim, 8);
        var index = new FlatIndex(dim, VectorMetric.InnerProduct);
        index.Add(SearchTestData.Ids(n), data);
        var hits = index.Search(queries, nq, 3);
        foreach (int q in new[] { 0, 127, 128, 129 })
        {
            var expected = SearchTestData.BruteForce(VectorMetric.InnerProduct, data, dim, queries.AsSpan(q * dim, dim));
            Assert.Equal(expected[0].Distance, hits[q][0].Distance, 1e-4);
            Assert.Equal(expected[2].Distance, hits[q][2].Distance, 1e-4);
        }
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var index = new FlatIndex(3, VectorMetric.L2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlatIndex(0, VectorMetric.L2));
        Assert.Throws<ArgumentException>(() => index.Add(["a"], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => index.Add(["a", "a"], new float[6]));
        Assert.Throws<ArgumentException>(() => index.Add(["a"], [1f, float.NaN, 0f]));
        Assert.Throws<ArgumentException>(() => index.Add(["a"], new float[3], [1, 2]));
        index.Add(["a"], new float[3]);
        Assert.Throws<ArgumentException>(() => index.Add(["a"], new float[3]));
        Assert.Throws<ArgumentException>(() => index.Search(new float[2], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[3], 0));
        Assert.Throws<ArgumentException>(() => index.RangeSearch(new float[3], float.NaN));
    }

    [Fact]
    public void SaveLoad_RoundTrips()
    {
        using var dir = new TempDir();
        var data = SearchTestData.Gaussian(50, Dim, 9);
        var index = new FlatIndex(Dim, VectorMetric.Cosine);
        index.Add(SearchTestData.Ids(50), data, Enumerable.Range(0, 50).ToArray());
        index.Remove("item3");
        string path = dir.File("flat.dmes");
        index.Save(path);
        var loaded = FlatIndex.Load(path);
        Assert.Equal(VectorMetric.Cosine, loaded.Metric);
        Assert.Equal(49, loaded.Count);
        var query = data.AsSpan(0, Dim);
        var before = index.Search(query, 49);
        var after = loaded.Search(query, 49);
        Assert.Equal(before.Select(h => (h.Id, h.Label)), after.Select(h => (h.Id, h.Label)));
        // Loading normalises the (already unit) vectors again, which may move the last bit.
        Assert.All(before.Zip(after), p => Assert.Equal(p.First.Distance, p.Second.Distance, 1e-6f));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
