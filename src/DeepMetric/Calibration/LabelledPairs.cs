using DeepMetric.Internal;
using DeepMetric.Search;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Calibration;

/// <summary>Pair distances with a match flag each (true when the two items share a label), the input of <see cref="ThresholdCurve.Compute"/>.</summary>
public sealed class LabelledPairs
{
    /// <summary>Wraps the given arrays (not copied).</summary>
    /// <exception cref="ArgumentException">The arrays differ in length.</exception>
    public LabelledPairs(float[] distances, bool[] isMatch)
    {
        ArgumentNullException.ThrowIfNull(distances);
        ArgumentNullException.ThrowIfNull(isMatch);
        if (distances.Length != isMatch.Length)
        {
            throw new ArgumentException($"Expected one match flag per distance: {distances.Length} distances, {isMatch.Length} flags.", nameof(isMatch));
        }
        Distances = distances;
        IsMatch = isMatch;
    }

    /// <summary>Pair distances under the metric they were measured with.</summary>
    public float[] Distances { get; }

    /// <summary>True for a same-label pair.</summary>
    public bool[] IsMatch { get; }

    /// <summary>Number of pairs.</summary>
    public int Count => Distances.Length;

    /// <summary>The precision/recall/F1 curve of these pairs.</summary>
    public ThresholdCurve Curve() => ThresholdCurve.Compute(Distances, IsMatch);

    /// <summary>
    /// Labelled pairs drawn from a labelled set of embeddings. With <see cref="PairSampling.AllPairs"/>, a seeded sample of
    /// at most <paramref name="maxItems"/> items (all of them when there are fewer) and every pair among them. With
    /// <see cref="PairSampling.PositivesAndSampledNegatives"/>, <paramref name="maxItems"/> positive pairs (a random item, then a
    /// random other item of its class) and <paramref name="negativesPerPositive"/> times as many negative pairs (two random
    /// items of different classes), drawn with replacement. Distances use <see cref="Matcher.Distance"/>.
    /// </summary>
    /// <param name="vectors">Row-major <c>labels.Length × dimension</c> values.</param>
    /// <param name="dimension">Values per vector.</param>
    /// <param name="labels">One non-negative label per vector.</param>
    /// <param name="metric">The distance to measure.</param>
    /// <param name="sampling">Which pairs to measure.</param>
    /// <param name="maxItems">Items sampled (all pairs) or positive pairs drawn (positives and negatives).</param>
    /// <param name="seed">Seed of the sampling.</param>
    /// <param name="negativesPerPositive">Negative pairs per positive pair (only for sampled negatives).</param>
    /// <exception cref="ArgumentException">Shapes disagree, a label is negative, or no pair of the required kind exists.</exception>
    public static LabelledPairs FromLabelledSet(ReadOnlySpan<float> vectors, int dimension, ReadOnlySpan<int> labels, VectorMetric metric,
        PairSampling sampling = PairSampling.AllPairs, int maxItems = 2000, ulong seed = 0, int negativesPerPositive = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(negativesPerPositive, 0);
        int n = labels.Length;
        if (vectors.Length != (long)n * dimension)
        {
            throw new ArgumentException($"Expected {n} × {dimension} = {(long)n * dimension} values for {n} labels, got {vectors.Length}.", nameof(vectors));
        }
        for (int i = 0; i < n; i++)
        {
            if (labels[i] < 0)
            {
                throw new ArgumentException($"Label {i} is {labels[i]}; calibration needs a non-negative label for every item.", nameof(labels));
            }
        }
        var rng = new Prng(seed);
        return sampling switch
        {
            PairSampling.AllPairs => AllPairs(vectors, dimension, labels, metric, maxItems, rng),
            PairSampling.PositivesAndSampledNegatives => Sampled(vectors, dimension, labels, metric, maxItems, negativesPerPositive, rng),
            _ => throw new ArgumentOutOfRangeException(nameof(sampling), $"Unknown pair sampling {sampling}."),
        };
    }

    private static LabelledPairs AllPairs(ReadOnlySpan<float> vectors, int d, ReadOnlySpan<int> labels, VectorMetric metric, int maxItems, Prng rng)
    {
        int n = labels.Length;
        if (n < 2)
        {
            throw new ArgumentException($"All pairs need at least 2 items, got {n}.", nameof(labels));
        }
        // Partial Fisher–Yates: the first m entries are a uniform sample, then sorted for a stable pair order.
        var rows = new int[n];
        for (int i = 0; i < n; i++)
        {
            rows[i] = i;
        }
        int m = Math.Min(n, maxItems);
        if (m < n)
        {
            for (int i = 0; i < m; i++)
            {
                int j = rng.NextInt(i, n);
                (rows[i], rows[j]) = (rows[j], rows[i]);
            }
            Array.Sort(rows, 0, m);
        }
        long pairs = (long)m * (m - 1) / 2;
        if (pairs > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxItems), $"{m} items give {pairs} pairs, more than an array holds; sample fewer items.");
        }
        var distances = GC.AllocateUninitializedArray<float>((int)pairs);
        var same = GC.AllocateUninitializedArray<bool>((int)pairs);
        int p = 0;
        for (int a = 0; a < m; a++)
        {
            var va = vectors.Slice(rows[a] * d, d);
            for (int b = a + 1; b < m; b++)
            {
                distances[p] = Matcher.Distance(metric, va, vectors.Slice(rows[b] * d, d));
                same[p++] = labels[rows[a]] == labels[rows[b]];
            }
        }
        return new LabelledPairs(distances, same);
    }

    private static LabelledPairs Sampled(ReadOnlySpan<float> vectors, int d, ReadOnlySpan<int> labels, VectorMetric metric, int positives, int negativesPerPositive, Prng rng)
    {
        int n = labels.Length;
        var byClass = LabelGroups.ByClass(labels);
        // Anchors come from classes with a partner, so every draw yields a positive pair.
        var anchors = LabelGroups.WithPartner(byClass);
        if (anchors.Count == 0)
        {
            throw new ArgumentException("No class has two items, so there is no positive pair to sample.", nameof(labels));
        }
        long negatives = (long)positives * negativesPerPositive;
        if (negatives > 0 && byClass.Count < 2)
        {
            throw new ArgumentException("Every item has the same label, so there is no negative pair to sample.", nameof(labels));
        }
        long total = positives + negatives;
        if (total > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(positives), $"{total} pairs are more than an array holds.");
        }
        var distances = new float[total];
        var same = new bool[total];
        int p = 0;
        for (int i = 0; i < positives; i++)
        {
            int a = anchors[rng.NextInt(anchors.Count)];
            var mates = byClass[labels[a]];
            int b = mates[rng.NextInt(mates.Count - 1)];
            if (b == a)
            {
                b = mates[^1];
            }
            distances[p] = Matcher.Distance(metric, vectors.Slice(a * d, d), vectors.Slice(b * d, d));
            same[p++] = true;
        }
        for (long i = 0; i < negatives; i++)
        {
            int a = rng.NextInt(n);
            int b;
            // Rejection: the expected number of draws is 1 / P(different label), small unless one class dominates.
            int attempts = 0;
            do
            {
                b = rng.NextInt(n);
                if (++attempts > 10_000)
                {
                    throw new ArgumentException($"Could not draw an item with a label other than {labels[a]} in 10 000 attempts; the set is almost single-class.", nameof(labels));
                }
            }
            while (labels[b] == labels[a]);
            distances[p] = Matcher.Distance(metric, vectors.Slice(a * d, d), vectors.Slice(b * d, d));
            same[p++] = false;
        }
        return new LabelledPairs(distances, same);
    }
}
