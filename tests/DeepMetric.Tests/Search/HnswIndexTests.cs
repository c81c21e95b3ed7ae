using System.Diagnostics;
using DeepMetric.Evaluation;
using DeepMetric.Search;
using DeepMetric.Tests.Data;
using Xunit.Abstractions;

namespace DeepMetric.Tests.Search;

public sealed class HnswIndexTests(ITestOutputHelper output)
{
    private static readonly HnswOptions Fast = new(M: 12, EfConstruction: 100, EfSearch: 64, Seed: 7);

    public static TheoryData<VectorMetric> Metrics => new() { VectorMetric.L2, VectorMetric.Cosine, VectorMetric.InnerProduct };

    private static double Recall(VectorHit[][] approx, VectorHit[][] exact)
    {
        int hit = 0, total = 0;
        for (int q = 0; q < exact.Length; q++)
        {
            var truth = exact[q].Select(h => h.Id).ToHashSet();
            hit += approx[q].Count(h => truth.Contains(h.Id));
            total += exact[q].Length;
        }
        return (double)hit / total;
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void RecallAt10_IsHighAgainstFlatIndex(VectorMetric metric)
    {
        const int n = 5000, dim = 32, nq = 200;
        var data = SearchTestData.Gaussian(n, dim, 11);
        var queries = SearchTestData.Gaussian(nq, dim, 12);
        var ids = SearchTestData.Ids(n);
        var flat = new FlatIndex(dim, metric);
        flat.Add(ids, data);
        var sw = Stopwatch.StartNew();
        var hnsw = new HnswIndex(dim, metric, new HnswOptions(M: 16, EfConstruction: 100, EfSearch: 100));
        hnsw.Add(ids, data);
        double build = sw.Elapsed.TotalSeconds;
        var exact = flat.Search(queries, nq, 10);
        sw.Restart();
        var approx = hnsw.Search(queries, nq, 10);
        double search = sw.Elapsed.TotalSeconds;
        double recall = Recall(approx, exact);
        output.WriteLine($"{metric}: recall@10 {recall:F4}, build {build:F2} s, {nq / search:F0} queries/s");
        Assert.True(recall >= 0.95, $"recall@10 = {recall}");
        // Reported distances are exact for the ids found.
        for (int q = 0; q < 5; q++)
        {
            var qv = queries.AsSpan(q * dim, dim);
            foreach (var h in approx[q])
            {
                int i = int.Parse(h.Id.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(SearchTestData.Distance(metric, qv, data.AsSpan(i * dim, dim)), h.Distance, 1e-4);
            }
            Assert.True(approx[q].Zip(approx[q].Skip(1)).All(p => p.First.Distance <= p.Second.Distance));
        }
    }

    [Fact]
    public void SameSeed_BuildsIdenticalGraph_DifferentSeedDoesNot()
    {
        using var dir = new TempDir();
        var data = SearchTestData.Gaussian(800, 8, 13);
        var ids = SearchTestData.Ids(800);
        var a = new HnswIndex(8, VectorMetric.L2, Fast);
        var b = new HnswIndex(8, VectorMetric.L2, Fast);
        var c = new HnswIndex(8, VectorMetric.L2, Fast with { Seed = 8 });
        // Same vectors in different batch sizes: the graph depends only on the insertion order and seed.
        a.Add(ids, data);
        b.Add(ids[..300], data.AsSpan(0, 300 * 8));
        b.Add(ids[300..], data.AsSpan(300 * 8));
        c.Add(ids, data);
        a.Save(dir.File("a.hnsw"));
        b.Save(dir.File("b.hnsw"));
        c.Save(dir.File("c.hnsw"));
        Assert.Equal(File.ReadAllBytes(dir.File("a.hnsw")), File.ReadAllBytes(dir.File("b.hnsw")));
        Assert.NotEqual(File.ReadAllBytes(dir.File("a.hnsw")), File.ReadAllBytes(dir.File("c.hnsw")));
        var q = SearchTestData.Gaussian(1, 8, 14);
        Assert.Equal(a.Search(q, 10), b.Search(q, 10));
    }

    [Fact]
    public void Remove_SkipsDeletedButKeepsNavigating()
    {
        const int n = 1500, dim = 8;
        var data = SearchTestData.Gaussian(n, dim, 15);
        var ids = SearchTestData.Ids(n);
        var hnsw = new HnswIndex(dim, VectorMetric.L2, Fast);
        hnsw.Add(ids, data);
        var flat = new FlatIndex(dim, VectorMetric.L2);
        flat.Add(ids, data);
        // Remove every third item, including (probably) the entry point's neighbourhood.
        for (int i = 0; i < n; i += 3)
        {
            Assert.True(hnsw.Remove(ids[i]));
            Assert.True(flat.Remove(ids[i]));
        }
        Assert.False(hnsw.Remove(ids[0]));
        Assert.False(hnsw.Contains(ids[0]));
        Assert.Equal(n - 500, hnsw.Count);
        Assert.Equal(n, hnsw.NodeCount);
        var queries = SearchTestData.Gaussian(100, dim, 16);
        var approx = hnsw.Search(queries, 100, 10);
        Assert.All(approx, hits => Assert.All(hits, h => Assert.NotEqual(0, int.Parse(h.Id.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture) % 3)));
        Assert.True(Recall(approx, flat.Search(queries, 100, 10)) >= 0.95);
        // Searching for a deleted vector finds its live neighbours, not itself; re-adding the id works.
        var deleted = data.AsSpan(3 * dim, dim);
        Assert.NotEqual(ids[3], hnsw.Search(deleted, 1)[0].Id);
        hnsw.Add([ids[3]], deleted, [42]);
        var back = hnsw.Search(deleted, 1)[0];
        Assert.Equal(new VectorHit(ids[3], 0f, 42), back);
    }

    [Fact]
    public void AllDeletedOrEmpty_ReturnsNothing()
    {
        var hnsw = new HnswIndex(2, VectorMetric.Cosine, Fast);
        Assert.Empty(hnsw.Search([1f, 0f], 3));
        hnsw.Add(["a", "b"], [1f, 0f, 0f, 1f]);
        hnsw.Remove("a");
        hnsw.Remove("b");
        Assert.Empty(hnsw.Search([1f, 0f], 3));
        Assert.Empty(hnsw.RangeSearch([1f, 0f], 5f));
    }

    [Fact]
    public void SmallIndex_KGreaterThanCount_IsExact()
    {
        var data = SearchTestData.Gaussian(20, 4, 17);
        var hnsw = new HnswIndex(4, VectorMetric.InnerProduct, Fast);
        hnsw.Add(SearchTestData.Ids(20), data);
        var q = SearchTestData.Gaussian(1, 4, 18);
        var hits = hnsw.Search(q, 50);
        var expected = SearchTestData.BruteForce(VectorMetric.InnerProduct, data, 4, q);
        Assert.Equal(20, hits.Length);
        Assert.Equal(expected.Select(e => $"item{e.Index}"), hits.Select(h => h.Id));
        var single = new HnswIndex(4, VectorMetric.L2, Fast);
        single.Add(["x"], [1f, 2f, 3f, 4f], [5]);
        Assert.Equal(new VectorHit("x", 0f, 5), single.Search([1f, 2f, 3f, 4f], 3).Single());
    }

    [Fact]
    public void RangeSearch_FindsTheBall()
    {
        const int n = 2000, dim = 6;
        var data = SearchTestData.Gaussian(n, dim, 19);
        var hnsw = new HnswIndex(dim, VectorMetric.L2, Fast);
        hnsw.Add(SearchTestData.Ids(n), data);
        var q = SearchTestData.Gaussian(1, dim, 20);
        var expected = SearchTestData.BruteForce(VectorMetric.L2, data, dim, q);
        // 150 points in the ball: more than the initial candidate list, so the search has to widen.
        float radius = (float)((expected[149].Distance + expected[150].Distance) / 2);
        var hits = hnsw.RangeSearch(q, radius);
        var truth = expected.Take(150).Select(e => $"item{e.Index}").ToHashSet();
        Assert.True(hits.Count(h => truth.Contains(h.Id)) >= 145, $"found {hits.Length}");
        Assert.All(hits, h => Assert.True(h.Distance <= radius));
    }

    [Fact]
    public void SaveLoad_RoundTripsAndStaysDeterministic()
    {
        using var dir = new TempDir();
        const int dim = 8;
        var data = SearchTestData.Gaussian(600, dim, 21);
        var ids = SearchTestData.Ids(600);
        var labels = Enumerable.Range(0, 600).Select(i => i % 7).ToArray();
        var original = new HnswIndex(dim, VectorMetric.Cosine, Fast);
        original.Add(ids[..500], data.AsSpan(0, 500 * dim), labels.AsSpan(0, 500));
        original.Remove("item4");
        original.EfSearch = 40;
        string path = dir.File("g.hnsw");
        original.Save(path);
        Assert.Single(Directory.GetFiles(dir.Path));
        var loaded = HnswIndex.Load(path);
        Assert.Equal(original.Count, loaded.Count);
        Assert.Equal(40, loaded.EfSearch);
        Assert.Equal(VectorMetric.Cosine, loaded.Metric);
        Assert.Equal(Fast.M, loaded.Options.M);
        var queries = SearchTestData.Gaussian(20, dim, 22);
        Assert.Equal(original.Search(queries, 20, 5).SelectMany(h => h), loaded.Search(queries, 20, 5).SelectMany(h => h));
        // Adding after load continues the level generator: same graph as adding to the original.
        original.Add(ids[500..], data.AsSpan(500 * dim), labels.AsSpan(500));
        loaded.Add(ids[500..], data.AsSpan(500 * dim), labels.AsSpan(500));
        original.Save(dir.File("o2.hnsw"));
        loaded.Save(dir.File("l2.hnsw"));
        Assert.Equal(File.ReadAllBytes(dir.File("o2.hnsw")), File.ReadAllBytes(dir.File("l2.hnsw")));
    }

    [Fact]
    public void Load_RejectsCorruptTruncatedAndForeignFiles()
    {
        using var dir = new TempDir();
        var hnsw = new HnswIndex(4, VectorMetric.L2, Fast);
        hnsw.Add(SearchTestData.Ids(50), SearchTestData.Gaussian(50, 4, 23));
        string path = dir.File("g.hnsw");
        hnsw.Save(path);
        var bytes = File.ReadAllBytes(path);

        var flipped = (byte[])bytes.Clone();
        flipped[200] ^= 0x04;
        File.WriteAllBytes(path, flipped);
        var ex = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path));
        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, bytes[..^10]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path)).Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, bytes[..10]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path)).Message, StringComparison.Ordinal);

        var version = (byte[])bytes.Clone();
        version[8] = 9;
        File.WriteAllBytes(path, version);
        Assert.Contains("version 9", Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path)).Message, StringComparison.Ordinal);

        // An embedding store is not an HNSW index.
        string store = dir.File("s.dmes");
        EmbeddingStore.Write(store, [1f], 1, ["a"], [], new EmbeddingMetadata("", VectorMetric.L2, "none"));
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => HnswIndex.Load(store)).Message, StringComparison.Ordinal);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => EmbeddingStore.Open(dir.File("g.hnsw"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RejectsAFileWhoseChecksumMatchesButWhoseLinksDoNot()
    {
        using var dir = new TempDir();
        const int dim = 4, n = 30;
        var hnsw = new HnswIndex(dim, VectorMetric.L2, Fast);
        hnsw.Add(SearchTestData.Ids(n), SearchTestData.Gaussian(n, dim, 24));
        string path = dir.File("g.hnsw");
        hnsw.Save(path);
        var bytes = File.ReadAllBytes(path);
        // Payload offsets by hand: 6 ints + seed + generator state (44 bytes) + 3 ints, then vectors, labels, levels,
        // deletion flags, and the layer-0 lists (2M + 1 ints each; the first is the count, then the targets).
        int links0 = 32 + (6 * 4) + 8 + 44 + (3 * 4) + (n * dim * 4) + (n * 4) + (n * 4) + n;
        Assert.True(BitConverter.ToInt32(bytes, links0) > 0, "node 0 has layer-0 links");
        BitConverter.GetBytes(n + 5).CopyTo(bytes, links0 + 4);   // node 0's first link → a node that does not exist
        // Re-seal the checksum, so only the content check can catch it.
        BitConverter.GetBytes(System.IO.Hashing.XxHash3.HashToUInt64(bytes.AsSpan(32))).CopyTo(bytes, 24);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"links to invalid node {n + 5}", ex.Message, StringComparison.Ordinal);

        // A generator state of all zeros (impossible for xoshiro256**) is caught too.
        hnsw.Save(path);
        var zeroState = File.ReadAllBytes(path);
        zeroState.AsSpan(32 + (6 * 4) + 8, 32).Clear();
        BitConverter.GetBytes(System.IO.Hashing.XxHash3.HashToUInt64(zeroState.AsSpan(32))).CopyTo(zeroState, 24);
        File.WriteAllBytes(path, zeroState);
        var stateError = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path));
        Assert.Contains(path, stateError.Message, StringComparison.Ordinal);
        Assert.Contains("all zeros", stateError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(0, VectorMetric.L2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(4, VectorMetric.L2, new HnswOptions(M: 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(4, VectorMetric.L2, new HnswOptions(EfConstruction: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(4, (VectorMetric)9));
        var hnsw = new HnswIndex(2, VectorMetric.L2, Fast);
        Assert.Throws<ArgumentException>(() => hnsw.Add(["a"], [1f]));
        Assert.Throws<ArgumentException>(() => hnsw.Add(["a"], [1f, float.PositiveInfinity]));
        hnsw.Add(["a"], [1f, 1f]);
        Assert.Throws<ArgumentException>(() => hnsw.Add(["a"], [1f, 1f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => hnsw.Search([1f, 1f], 0));
        Assert.Throws<ArgumentException>(() => hnsw.Search([1f], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => hnsw.EfSearch = 0);
    }

    [Fact]
    public void DuplicateVectors_DoNotBreakTheGraph()
    {
        // Many identical points defeat the heuristic's diversity test; search must still find the distinct ones.
        var data = new float[300 * 3];
        for (int i = 200; i < 300; i++)
        {
            data[i * 3] = i;
        }
        var hnsw = new HnswIndex(3, VectorMetric.L2, Fast);
        hnsw.Add(SearchTestData.Ids(300), data);
        var hit = hnsw.Search([250f, 0f, 0f], 1)[0];
        Assert.Equal("item250", hit.Id);
        Assert.Equal(10, hnsw.Search([0f, 0f, 0f], 10).Count(h => h.Distance == 0f));
    }
}
