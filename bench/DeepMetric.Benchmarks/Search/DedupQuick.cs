using System.Diagnostics;
using System.Globalization;
using DeepMetric.Dedup;
using DeepMetric.Search;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Search;

/// <summary>
/// Near-duplicate detection on 100 000 × 64 L2 vectors (<c>DEEPMETRIC_DEDUP_N</c> to change): 1 000 Gaussian cluster
/// centres, items spread around them (σ = 0.3 per coordinate, so distinct items are ≈ 3.4 apart), and planted
/// duplicates — 5 % exact copies and 5 % noisy copies (σ = 0.005, ≈ 0.06 away) of earlier items. Threshold 0.2.
/// Reports the time with the exact flat self-join and with HNSW (M = 16, efConstruction = 100), and the fraction of the
/// flat groups' redundant items that HNSW also finds.
/// </summary>
public static class DedupQuick
{
    private const int Dim = 64;
    private const float Threshold = 0.2f;

    public static IEnumerable<BenchRecord> Run()
    {
        int n = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_DEDUP_N"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int env) && env > 0 ? env : 100_000;
        string size = $"{n}x{Dim}";
        var rng = new Prng(77);
        var centres = new float[1000 * Dim];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = (float)(rng.NextNormal() * 3);
        }
        var data = new float[n * Dim];
        int planted = 0;
        for (int i = 0; i < n; i++)
        {
            var row = data.AsSpan(i * Dim, Dim);
            double u = rng.NextDouble();
            if (i > 0 && u < 0.1)
            {
                data.AsSpan(rng.NextInt(i) * Dim, Dim).CopyTo(row);
                if (u >= 0.05)
                {
                    for (int j = 0; j < Dim; j++)
                    {
                        row[j] += (float)(rng.NextNormal() * 0.005);
                    }
                }
                planted++;
                continue;
            }
            int c = rng.NextInt(1000);
            for (int j = 0; j < Dim; j++)
            {
                row[j] = centres[(c * Dim) + j] + (float)(rng.NextNormal() * 0.3);
            }
        }
        var ids = new string[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = i.ToString(CultureInfo.InvariantCulture);
        }
        yield return new BenchRecord($"dedup_planted_{size}", planted, "items");

        var sw = Stopwatch.StartNew();
        var flat = new Deduplicator(new DedupOptions(Threshold, VectorIndexKind.Flat)).Run(ids, data, Dim, VectorMetric.L2);
        yield return new BenchRecord($"dedup_flat_{size}", sw.Elapsed.TotalSeconds, "s");
        yield return new BenchRecord($"dedup_flat_redundant_{size}", flat.RedundantItems, "items");

        sw.Restart();
        var hnsw = new Deduplicator(new DedupOptions(Threshold, VectorIndexKind.Hnsw, new HnswOptions(M: 16, EfConstruction: 100))).Run(ids, data, Dim, VectorMetric.L2);
        yield return new BenchRecord($"dedup_hnsw_{size}_M16_efc100", sw.Elapsed.TotalSeconds, "s");
        yield return new BenchRecord($"dedup_hnsw_redundant_recall_{size}", flat.RedundantItems == 0 ? 1 : (double)hnsw.RedundantItems / flat.RedundantItems, "fraction");
    }
}
