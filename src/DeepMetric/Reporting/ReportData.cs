using DeepMetric.Evaluation;
using DeepMetric.Internal;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Reporting;

/// <summary>The seeded sampling behind the report's sections, kept apart from the HTML so it can be tested.</summary>
internal static class ReportData
{
    /// <summary>At most <paramref name="max"/> distinct indices of [0, n), ascending; all of them when n ≤ max.</summary>
    internal static int[] Subsample(int n, int max, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var all = new int[n];
        for (int i = 0; i < n; i++)
        {
            all[i] = i;
        }
        if (n <= max)
        {
            return all;
        }
        new Prng(seed).Shuffle(all.AsSpan());
        var chosen = all.AsSpan(0, max).ToArray();
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>
    /// Up to <paramref name="count"/> random positive pairs (same label, distinct items) and as many negative pairs
    /// (different labels), drawn with replacement, with their Euclidean distances. A side is empty when no such pair
    /// exists (every class a singleton, or one class only).
    /// </summary>
    internal static (PairSample Positive, PairSample Negative) SamplePairs(ReadOnlySpan<float> embeddings, int dim, ReadOnlySpan<int> labels, int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int n = labels.Length;
        if (embeddings.Length != (long)n * dim)
        {
            throw new ArgumentException($"Expected {n}×{dim} embedding values, got {embeddings.Length}.", nameof(embeddings));
        }
        var byClass = LabelGroups.ByClass(labels);
        // Anchors of positives come from classes with two or more items.
        var anchors = LabelGroups.WithPartner(byClass);
        var rng = new Prng(seed);
        int positives = anchors.Count == 0 ? 0 : count;
        int negatives = byClass.Count < 2 ? 0 : count;
        var pa = new int[positives];
        var pb = new int[positives];
        for (int p = 0; p < positives; p++)
        {
            int a = anchors[rng.NextInt(anchors.Count)];
            var same = byClass[labels[a]];
            int b;
            do
            {
                b = same[rng.NextInt(same.Count)];
            }
            while (b == a);
            pa[p] = a;
            pb[p] = b;
        }
        var na = new int[negatives];
        var nb = new int[negatives];
        for (int p = 0; p < negatives; p++)
        {
            int a = rng.NextInt(n);
            // Rejection is cheap: with ≥ 2 classes at least one other-class item exists.
            int b;
            do
            {
                b = rng.NextInt(n);
            }
            while (labels[b] == labels[a]);
            na[p] = a;
            nb[p] = b;
        }
        return (new PairSample(pa, pb, Distances(embeddings, dim, pa, pb)), new PairSample(na, nb, Distances(embeddings, dim, na, nb)));
    }

    /// <summary>
    /// For each of <paramref name="queries"/> its <paramref name="k"/> nearest other items (Euclidean, ties by index),
    /// leaving the query itself out.
    /// </summary>
    internal static int[][] NearestNeighbours(ReadOnlySpan<float> embeddings, int dim, int n, ReadOnlySpan<int> queries, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        k = Math.Max(Math.Min(k, n - 1), 0);
        var result = new int[queries.Length][];
        var rows = GC.AllocateUninitializedArray<float>(queries.Length * dim);
        for (int q = 0; q < queries.Length; q++)
        {
            embeddings.Slice(queries[q] * dim, dim).CopyTo(rows.AsSpan(q * dim, dim));
            result[q] = [];
        }
        var data = embeddings[..(n * dim)].ToArray();
        var self = queries.ToArray();
        // The library's exact-kNN core, leaving each query's own row out; ties go to the lower index.
        BlockedKnn.Run(rows, self.Length, data, BlockedKnn.SquaredNorms(data, n, dim), n, dim, k, TileDistance.SquaredL2, q => self[q],
            (q, neighbours) =>
            {
                var list = new int[neighbours.Length];
                for (int t = 0; t < list.Length; t++)
                {
                    list[t] = (int)(uint)neighbours[t];
                }
                result[q] = list;
            });
        return result;
    }

    private static double[] Distances(ReadOnlySpan<float> embeddings, int dim, int[] a, int[] b)
    {
        var d = new double[a.Length];
        for (int p = 0; p < a.Length; p++)
        {
            d[p] = Math.Sqrt(SquaredDistance(embeddings.Slice(a[p] * dim, dim), embeddings.Slice(b[p] * dim, dim)));
        }
        return d;
    }

    private static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double diff = (double)x[i] - y[i];
            s += diff * diff;
        }
        return s;
    }
}
