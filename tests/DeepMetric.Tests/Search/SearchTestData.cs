using DeepMetric.Distances;
using DeepMetric.Search;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Search;

/// <summary>Random vectors and an independent double-precision brute-force reference for the index tests.</summary>
internal static class SearchTestData
{
    public static float[] Gaussian(int rows, int dim, ulong seed)
    {
        var rng = new Prng(seed);
        var v = new float[rows * dim];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)rng.NextNormal();
        }
        return v;
    }

    public static string[] Ids(int n, string prefix = "item") => Enumerable.Range(0, n).Select(i => $"{prefix}{i}").ToArray();

    /// <summary>The reported distance in double, straight from the definition.</summary>
    public static double Distance(VectorMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0, sq = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
            double d = (double)a[i] - b[i];
            sq += d * d;
        }
        return metric switch
        {
            VectorMetric.L2 => Math.Sqrt(sq),
            VectorMetric.Cosine => na == 0 || nb == 0 ? 1.0 : 1.0 - (dot / Math.Sqrt(na * nb)),
            _ => -dot,
        };
    }

    /// <summary>All (index, distance) pairs sorted by distance — the double-loop reference.</summary>
    public static (int Index, double Distance)[] BruteForce(VectorMetric metric, float[] data, int dim, ReadOnlySpan<float> query, ISet<int>? excluded = null)
    {
        var all = new List<(int, double)>();
        for (int i = 0; i < data.Length / dim; i++)
        {
            if (excluded is not null && excluded.Contains(i))
            {
                continue;
            }
            all.Add((i, Distance(metric, query, data.AsSpan(i * dim, dim))));
        }
        return all.OrderBy(p => p.Item2).ToArray();
    }
}
