using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DeepMetric.Search;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Search;

/// <summary>
/// Vector search on seeded Gaussian vectors (default 100 000 × 64, 1 000 queries, L2): <see cref="FlatIndex"/> build time
/// and batch queries/s, <see cref="HnswIndex"/> (M = 16, efConstruction = 200) build time, then queries/s (one query at a
/// time) and recall@10 against the flat index for several efSearch values.
/// Environment: <c>DEEPMETRIC_ANN_N</c> (rows, e.g. 20000 for a short run), <c>DEEPMETRIC_ANN_DUMP</c> (a folder: the
/// base and query vectors are written there as raw little-endian float32, base.f32 and queries.f32, for comparisons
/// with other libraries on the same vectors).
/// </summary>
public static class AnnQuick
{
    private const int Dim = 64;
    private const int Queries = 1000;
    private const int K = 10;

    public static IEnumerable<BenchRecord> Run()
    {
        int n = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_ANN_N"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int env) && env > 0 ? env : 100_000;
        string size = $"{n}x{Dim}";
        var rng = new Prng(2024);
        var data = Gaussian(rng, n * Dim);
        var queries = Gaussian(rng, Queries * Dim);
        var ids = new string[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = i.ToString(CultureInfo.InvariantCulture);
        }
        string? dump = Environment.GetEnvironmentVariable("DEEPMETRIC_ANN_DUMP");
        if (!string.IsNullOrEmpty(dump))
        {
            Directory.CreateDirectory(dump);
            File.WriteAllBytes(Path.Combine(dump, "base.f32"), MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(dump, "queries.f32"), MemoryMarshal.AsBytes(queries.AsSpan()).ToArray());
        }

        var sw = Stopwatch.StartNew();
        var flat = new FlatIndex(Dim, VectorMetric.L2);
        flat.Add(ids, data);
        yield return new BenchRecord($"ann_flat_build_{size}", sw.Elapsed.TotalSeconds, "s");
        sw.Restart();
        var exact = flat.Search(queries, Queries, K);
        yield return new BenchRecord($"ann_flat_qps_batch_{size}", Queries / sw.Elapsed.TotalSeconds, "queries/s");

        sw.Restart();
        var hnsw = new HnswIndex(Dim, VectorMetric.L2, new HnswOptions(M: 16, EfConstruction: 200));
        hnsw.Add(ids, data);
        yield return new BenchRecord($"ann_hnsw_build_{size}_M16_efc200", sw.Elapsed.TotalSeconds, "s");

        foreach (int ef in new[] { 32, 64, 128, 256, 512 })
        {
            hnsw.EfSearch = ef;
            var results = new VectorHit[Queries][];
            // Warm-up pass, then the timed pass (one query at a time, as an online service would).
            for (int q = 0; q < 50; q++)
            {
                hnsw.Search(queries.AsSpan(q * Dim, Dim), K);
            }
            sw.Restart();
            for (int q = 0; q < Queries; q++)
            {
                results[q] = hnsw.Search(queries.AsSpan(q * Dim, Dim), K);
            }
            double seconds = sw.Elapsed.TotalSeconds;
            yield return new BenchRecord($"ann_hnsw_qps_{size}_ef{ef}", Queries / seconds, "queries/s");
            yield return new BenchRecord($"ann_hnsw_recall10_{size}_ef{ef}", Recall(results, exact), "fraction");
        }
    }

    private static float[] Gaussian(Prng rng, int count)
    {
        var v = GC.AllocateUninitializedArray<float>(count);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)rng.NextNormal();
        }
        return v;
    }

    private static double Recall(VectorHit[][] approx, VectorHit[][] exact)
    {
        long hit = 0, total = 0;
        var truth = new HashSet<string>(StringComparer.Ordinal);
        for (int q = 0; q < exact.Length; q++)
        {
            truth.Clear();
            foreach (var h in exact[q])
            {
                truth.Add(h.Id);
            }
            foreach (var h in approx[q])
            {
                if (truth.Contains(h.Id))
                {
                    hit++;
                }
            }
            total += exact[q].Length;
        }
        return (double)hit / total;
    }
}
