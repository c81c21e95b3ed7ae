using DeepMetric.Distances;
using DeepMetric.Evaluation;
using DeepMetric.Search;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Evaluation;

/// <summary>
/// The one exact-kNN core (<see cref="BlockedKnn"/>) against a double-precision brute force, through every caller,
/// with ties, duplicated rows, k ≥ n and tilings that split rows into several column tiles.
/// </summary>
public sealed class KnnCoreTests
{
    // Small integers: every dot product and distance is exact in float, so ties are real ties in both computations.
    private static float[] Grid(ulong seed, int n, int dim, int duplicates)
    {
        var rng = new Prng(seed);
        var x = new float[n * dim];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextInt(5) - 2;
        }
        for (int t = 0; t < duplicates; t++)
        {
            int from = rng.NextInt(n), to = rng.NextInt(n);
            x.AsSpan(from * dim, dim).CopyTo(x.AsSpan(to * dim, dim));
        }
        return x;
    }

    private static float[] Gaussian(ulong seed, int n, int dim)
    {
        var rng = new Prng(seed);
        var x = new float[n * dim];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)rng.NextNormal();
        }
        return x;
    }

    // Double-precision brute force: (distance, index) ascending, the excluded reference left out.
    private static (int Index, double Distance)[] Brute(float[] q, int query, float[] r, int nr, int dim, int k, int metric, int exclude)
    {
        var all = new List<(double D, int J)>();
        for (int j = 0; j < nr; j++)
        {
            if (j == exclude)
            {
                continue;
            }
            double dot = 0, sq = 0;
            for (int t = 0; t < dim; t++)
            {
                double a = q[(query * dim) + t], b = r[(j * dim) + t];
                dot += a * b;
                sq += (a - b) * (a - b);
            }
            all.Add((metric switch { 0 => sq, 1 => Math.Max(1 - dot, 0), _ => -dot }, j));   // the core clamps 1 − dot at 0 (rounding on unit vectors)
        }
        all.Sort();
        return all.Take(k).Select(p => (p.J, p.D)).ToArray();
    }

    public static TheoryData<int, int, int, long, int> Cases() => new()
    {
        // metric (0 squared L2, 1 one minus dot, 2 negative dot), references, k, tile bytes, columns per tile
        { 0, 40, 7, BlockedKnn.TileBytes, BlockedKnn.MaxColumns },
        { 0, 40, 7, 4 * 9 * 3, 9 },        // 3 × 9 tiles: several row blocks, rows split in 5 column tiles
        { 0, 40, 40, 4 * 7, 7 },           // k = n: everything, merged across tiles
        { 1, 33, 5, 4 * 4 * 2, 4 },
        { 2, 33, 12, 4 * 5, 5 },           // negative distances
        { 2, 33, 33, BlockedKnn.TileBytes, BlockedKnn.MaxColumns },
        { 0, 1, 1, BlockedKnn.TileBytes, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDoubleBruteForce_WithTiesDuplicatesAndAnyTiling(int metric, int nr, int k, long tileBytes, int columns)
    {
        const int dim = 3, nq = 17;
        foreach (bool excludeSome in new[] { false, true })
        {
            int kk = excludeSome ? Math.Min(k, nr - 1) : k;
            var q = Grid(1, nq, dim, duplicates: 0);
            var r = Grid(2, nr, dim, duplicates: nr / 3);
            // Some queries are exact copies of references (distance 0, ties with duplicates).
            for (int i = 0; i < nq; i += 4)
            {
                r.AsSpan((i % nr) * dim, dim).CopyTo(q.AsSpan(i * dim, dim));
            }
            var norms = BlockedKnn.SquaredNorms(r, nr, dim);
            Func<int, int>? exclude = excludeSome ? query => query % 3 == 0 ? query % nr : -1 : null;
            var seen = new List<int>();
            BlockedKnn.Run(q, nq, r, norms, nr, dim, kk, (TileDistance)metric, exclude, (query, neighbours) =>
            {
                seen.Add(query);
                var expected = Brute(q, query, r, nr, dim, kk, metric, exclude?.Invoke(query) ?? -1);
                Assert.Equal(expected.Length, neighbours.Length);
                for (int t = 0; t < expected.Length; t++)
                {
                    Assert.Equal(expected[t].Index, (int)(uint)neighbours[t]);
                    Assert.Equal(expected[t].Distance, BlockedKnn.KeyToDistance(neighbours[t]), 1e-6);
                }
            }, tileBytes, columns);
            Assert.Equal(Enumerable.Range(0, kk == 0 ? 0 : nq), seen);
        }
    }

    [Fact]
    public void RandomInputs_TiledAndWholeRowsAgree_AndMatchBruteForce()
    {
        const int dim = 8, nq = 50, nr = 300, k = 20;
        var q = Gaussian(3, nq, dim);
        var r = Gaussian(4, nr, dim);
        var norms = BlockedKnn.SquaredNorms(r, nr, dim);
        var whole = new ulong[nq][];
        BlockedKnn.Run(q, nq, r, norms, nr, dim, k, TileDistance.SquaredL2, null, (i, n) => whole[i] = n.ToArray());
        var tiled = new ulong[nq][];
        BlockedKnn.Run(q, nq, r, norms, nr, dim, k, TileDistance.SquaredL2, null, (i, n) => tiled[i] = n.ToArray(), tileBytes: 4 * 7 * 64, maxColumns: 64);
        for (int i = 0; i < nq; i++)
        {
            Assert.Equal(Brute(q, i, r, nr, dim, k, 0, -1).Select(p => p.Index), whole[i].Select(v => (int)(uint)v));
            Assert.Equal(whole[i].Select(v => (int)(uint)v), tiled[i].Select(v => (int)(uint)v));
        }
    }

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.InnerProduct)]
    public void FlatIndex_FindsTheBruteForceNeighbours_KBeyondCount(VectorMetric metric)
    {
        const int dim = 6, n = 60;
        var x = Gaussian(5, n, dim);
        var index = new FlatIndex(dim, metric);
        index.Add(Enumerable.Range(0, n).Select(i => $"v{i}").ToArray(), x);
        var unit = (float[])x.Clone();
        for (int i = 0; i < n && metric == VectorMetric.Cosine; i++)
        {
            var row = unit.AsSpan(i * dim, dim);
            float norm = MathF.Sqrt(row.ToArray().Sum(v => v * v));
            for (int t = 0; t < dim; t++)
            {
                row[t] /= norm;
            }
        }
        var queries = Gaussian(6, 5, dim);
        foreach (int k in new[] { 1, 9, n, n + 10 })
        {
            var hits = index.Search(queries, 5, k);
            for (int i = 0; i < 5; i++)
            {
                var qi = (float[])queries.AsSpan(i * dim, dim).ToArray().Clone();
                if (metric == VectorMetric.Cosine)
                {
                    float norm = MathF.Sqrt(qi.Sum(v => v * v));
                    qi = qi.Select(v => v / norm).ToArray();
                }
                var expected = Brute(qi, 0, unit, n, dim, Math.Min(k, n), metric == VectorMetric.L2 ? 0 : metric == VectorMetric.Cosine ? 1 : 2, -1);
                Assert.Equal(expected.Select(p => $"v{p.Index}"), hits[i].Select(h => h.Id));
                for (int t = 0; t < expected.Length; t++)
                {
                    double reported = metric == VectorMetric.L2 ? Math.Sqrt(expected[t].Distance) : expected[t].Distance;
                    Assert.Equal(reported, hits[i][t].Distance, 1e-5);
                }
            }
        }
    }
}
