using System.Numerics.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Evaluation;

/// <summary>
/// k-means clustering (Lloyd's iterations) seeded with k-means++ (Arthur and Vassilvitskii, "k-means++: The
/// Advantages of Careful Seeding", SODA 2007). Deterministic for a given seed.
/// </summary>
public static class KMeans
{
    /// <summary>Clusters <paramref name="count"/> points of dimension <paramref name="dim"/> into <paramref name="k"/> clusters.</summary>
    /// <param name="points">Row-major [count, dim].</param>
    /// <param name="count">Number of points.</param>
    /// <param name="dim">Dimension.</param>
    /// <param name="k">Number of clusters, in [1, count].</param>
    /// <param name="seed">Seed of the k-means++ initialisation.</param>
    /// <param name="maxIterations">Upper bound on Lloyd iterations (they stop earlier once assignments are stable).</param>
    /// <returns>The cluster of each point, in [0, k).</returns>
    /// <exception cref="ArgumentException">Sizes do not match or k is out of range.</exception>
    public static int[] Cluster(float[] points, int count, int dim, int k, ulong seed = 0, int maxIterations = 100)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxIterations);
        if (points.Length != (long)count * dim)
        {
            throw new ArgumentException($"Expected {count}×{dim} values, got {points.Length}.", nameof(points));
        }
        if (k < 1 || k > count)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {count}].");
        }

        var centres = new float[k * dim];
        var best = new double[count];   // squared distance to the nearest chosen centre
        var rng = new Prng(seed);
        int first = rng.NextInt(count);
        points.AsSpan(first * dim, dim).CopyTo(centres);
        for (int i = 0; i < count; i++)
        {
            best[i] = SquaredDistance(points, i, centres, 0, dim);
        }
        for (int c = 1; c < k; c++)
        {
            double total = 0;
            foreach (double d in best)
            {
                total += d;
            }
            // Next centre drawn with probability proportional to D(x)²; all zero (duplicates) → uniform.
            int pick = count - 1;
            if (total > 0)
            {
                double u = rng.NextDouble() * total, run = 0;
                for (int i = 0; i < count; i++)
                {
                    run += best[i];
                    if (run > u)
                    {
                        pick = i;
                        break;
                    }
                }
            }
            else
            {
                pick = rng.NextInt(count);
            }
            points.AsSpan(pick * dim, dim).CopyTo(centres.AsSpan(c * dim, dim));
            for (int i = 0; i < count; i++)
            {
                best[i] = Math.Min(best[i], SquaredDistance(points, i, centres, c, dim));
            }
        }

        var assign = new int[count];
        Array.Fill(assign, -1);
        var sums = new double[k * dim];
        var sizes = new int[k];
        for (int iter = 0; iter < maxIterations; iter++)
        {
            bool changed = false;
            for (int i = 0; i < count; i++)
            {
                int arg = 0;
                double min = double.PositiveInfinity;
                for (int c = 0; c < k; c++)
                {
                    double d = SquaredDistance(points, i, centres, c, dim);
                    if (d < min)
                    {
                        min = d;
                        arg = c;
                    }
                }
                changed |= assign[i] != arg;
                assign[i] = arg;
            }
            if (!changed)
            {
                break;
            }
            Array.Clear(sums);
            Array.Clear(sizes);
            for (int i = 0; i < count; i++)
            {
                int c = assign[i];
                sizes[c]++;
                for (int t = 0; t < dim; t++)
                {
                    sums[(c * dim) + t] += points[(i * dim) + t];
                }
            }
            for (int c = 0; c < k; c++)
            {
                // An empty cluster keeps its previous centre.
                if (sizes[c] > 0)
                {
                    for (int t = 0; t < dim; t++)
                    {
                        centres[(c * dim) + t] = (float)(sums[(c * dim) + t] / sizes[c]);
                    }
                }
            }
        }
        return assign;
    }

    private static double SquaredDistance(float[] points, int i, float[] centres, int c, int dim)
    {
        float d = TensorPrimitives.Distance(points.AsSpan(i * dim, dim), centres.AsSpan(c * dim, dim));
        return (double)d * d;
    }
}
