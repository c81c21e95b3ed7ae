using System.Numerics.Tensors;
using DeepMetric.Evaluation;

namespace DeepMetric.FewShot;

/// <summary>
/// Classifiers for few-shot episodes: nearest prototype (class mean) and k nearest neighbours, over row-major
/// feature vectors (embeddings or raw pixels).
/// </summary>
public static class FewShotClassifier
{
    /// <summary>
    /// Predicts a class in 0 … <paramref name="ways"/> − 1 for every query: the class whose support mean is nearest in
    /// squared Euclidean distance (Snell et al., "Prototypical Networks for Few-shot Learning", NeurIPS 2017). Ties go to
    /// the lower class index.
    /// </summary>
    /// <param name="support">Support vectors, row-major (<c>supportLabels.Length × dimension</c>).</param>
    /// <param name="supportLabels">Class of each support vector, in 0 … ways − 1; every class needs at least one.</param>
    /// <param name="ways">Number of classes.</param>
    /// <param name="queries">Query vectors, row-major.</param>
    /// <param name="dimension">Vector length.</param>
    public static int[] NearestPrototype(ReadOnlySpan<float> support, ReadOnlySpan<int> supportLabels, int ways, ReadOnlySpan<float> queries, int dimension)
    {
        int queryCount = Validate(support, supportLabels, ways, queries, dimension);
        var sums = new double[ways * dimension];
        var counts = new int[ways];
        for (int i = 0; i < supportLabels.Length; i++)
        {
            int c = supportLabels[i];
            counts[c]++;
            var row = support.Slice(i * dimension, dimension);
            for (int t = 0; t < dimension; t++)
            {
                sums[(c * dimension) + t] += row[t];
            }
        }
        var prototypes = new float[ways * dimension];
        for (int c = 0; c < ways; c++)
        {
            if (counts[c] == 0)
            {
                throw new ArgumentException($"Class {c} has no support vector.", nameof(supportLabels));
            }
            for (int t = 0; t < dimension; t++)
            {
                prototypes[(c * dimension) + t] = (float)(sums[(c * dimension) + t] / counts[c]);
            }
        }
        var predictions = new int[queryCount];
        for (int q = 0; q < queryCount; q++)
        {
            var query = queries.Slice(q * dimension, dimension);
            float best = float.PositiveInfinity;
            for (int c = 0; c < ways; c++)
            {
                float d = TensorPrimitives.Distance(query, prototypes.AsSpan(c * dimension, dimension));
                if (d < best)
                {
                    best = d;
                    predictions[q] = c;
                }
            }
        }
        return predictions;
    }

    /// <summary>
    /// Predicts a class for every query by majority vote of its <paramref name="k"/> nearest support vectors
    /// (Euclidean). A tied vote goes to the tied class holding the nearest of the k neighbours.
    /// </summary>
    /// <param name="support">Support vectors, row-major.</param>
    /// <param name="supportLabels">Class of each support vector, in 0 … ways − 1.</param>
    /// <param name="ways">Number of classes.</param>
    /// <param name="queries">Query vectors, row-major.</param>
    /// <param name="dimension">Vector length.</param>
    /// <param name="k">Neighbours voting (capped at the support size).</param>
    public static int[] Knn(ReadOnlySpan<float> support, ReadOnlySpan<int> supportLabels, int ways, ReadOnlySpan<float> queries, int dimension, int k = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int queryCount = Validate(support, supportLabels, ways, queries, dimension);
        int n = supportLabels.Length;
        k = Math.Min(k, n);
        var distances = new float[n];
        var order = new int[n];
        var votes = new int[ways];
        var predictions = new int[queryCount];
        for (int q = 0; q < queryCount; q++)
        {
            var query = queries.Slice(q * dimension, dimension);
            for (int i = 0; i < n; i++)
            {
                distances[i] = TensorPrimitives.Distance(query, support.Slice(i * dimension, dimension));
                order[i] = i;
            }
            // Stable: equal distances keep support order, so results do not depend on the sort's internals.
            Array.Sort(order, (a, b) => distances[a] != distances[b] ? distances[a].CompareTo(distances[b]) : a.CompareTo(b));
            Array.Clear(votes);
            int top = 0;
            for (int r = 0; r < k; r++)
            {
                top = Math.Max(top, ++votes[supportLabels[order[r]]]);
            }
            for (int r = 0; r < k; r++)
            {
                int c = supportLabels[order[r]];
                if (votes[c] == top)
                {
                    predictions[q] = c;
                    break;
                }
            }
        }
        return predictions;
    }

    private static int Validate(ReadOnlySpan<float> support, ReadOnlySpan<int> supportLabels, int ways, ReadOnlySpan<float> queries, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ways, 1);
        if (supportLabels.IsEmpty || support.Length != supportLabels.Length * dimension)
        {
            throw new ArgumentException($"Expected {supportLabels.Length} × {dimension} support values (at least one row), got {support.Length}.", nameof(support));
        }
        if (queries.Length % dimension != 0)
        {
            throw new ArgumentException($"The query length {queries.Length} is not a multiple of the dimension {dimension}.", nameof(queries));
        }
        foreach (int c in supportLabels)
        {
            if ((uint)c >= (uint)ways)
            {
                throw new ArgumentOutOfRangeException(nameof(supportLabels), c, $"Support labels must lie in [0, {ways}).");
            }
        }
        return queries.Length / dimension;
    }
}
