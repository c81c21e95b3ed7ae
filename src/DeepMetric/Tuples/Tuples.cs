using DeepMetric.Internal;
using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// Builds and converts index tuples: all valid pairs or triplets of a labelled batch, pairs ↔ triplets, and
/// tuples → positive/negative masks for losses that work on the whole distance matrix. Self-pairs are never
/// produced when the reference set is the batch itself (<c>refLabels</c> null).
/// </summary>
public static class Tuples
{
    /// <summary>Every positive pair (same label) and negative pair (different label).</summary>
    public static PairTuples AllPairs(int[] labels, int[]? refLabels = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        bool same = refLabels is null;
        var r = refLabels ?? labels;
        List<int> a1 = [], p = [], a2 = [], n = [];
        for (int i = 0; i < labels.Length; i++)
        {
            for (int j = 0; j < r.Length; j++)
            {
                if (same && i == j)
                {
                    continue;
                }
                if (labels[i] == r[j])
                {
                    a1.Add(i);
                    p.Add(j);
                }
                else
                {
                    a2.Add(i);
                    n.Add(j);
                }
            }
        }
        return new PairTuples([.. a1], [.. p], [.. a2], [.. n]);
    }

    /// <summary>Every triplet (a, p, n) with label(p) = label(a) ≠ label(n).</summary>
    public static TripletTuples AllTriplets(int[] labels, int[]? refLabels = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        bool same = refLabels is null;
        var r = refLabels ?? labels;
        var pos = new int[r.Length];
        var neg = new int[r.Length];
        var output = new TripletBuffer(labels.Length * 16);
        for (int i = 0; i < labels.Length; i++)
        {
            int np = 0, nn = 0;
            for (int j = 0; j < r.Length; j++)
            {
                if (same && i == j)
                {
                    continue;
                }
                if (labels[i] == r[j])
                {
                    pos[np++] = j;
                }
                else
                {
                    neg[nn++] = j;
                }
            }
            for (int k = 0; k < np; k++)
            {
                for (int m = 0; m < nn; m++)
                {
                    output.Add(i, pos[k], neg[m]);
                }
            }
        }
        return output.ToTuples();
    }

    /// <summary>
    /// The given tuples as pairs: null → all pairs; pairs as they are; triplets → their (a, p) and (a, n) pairs.
    /// </summary>
    public static PairTuples ToPairs(MinedTuples? tuples, int[] labels, int[]? refLabels = null) => tuples switch
    {
        null => AllPairs(labels, refLabels),
        PairTuples pairs => pairs,
        TripletTuples t => new PairTuples(t.Anchors, t.Positives, t.Anchors, t.Negatives),
        _ => throw new ArgumentException($"Unsupported tuple type {tuples.GetType().Name}.", nameof(tuples)),
    };

    /// <summary>
    /// The given tuples as triplets: null → all triplets; triplets as they are; pairs → every (a, p, n) whose
    /// positive pair (a, p) and negative pair (a, n) share the anchor.
    /// </summary>
    public static TripletTuples ToTriplets(MinedTuples? tuples, int[] labels, int[]? refLabels = null)
    {
        switch (tuples)
        {
            case null:
                return AllTriplets(labels, refLabels);
            case TripletTuples t:
                return t;
            case PairTuples pairs:
            {
                var negByAnchor = new Dictionary<int, List<int>>();
                for (int j = 0; j < pairs.NegAnchors.Length; j++)
                {
                    if (!negByAnchor.TryGetValue(pairs.NegAnchors[j], out var list))
                    {
                        negByAnchor[pairs.NegAnchors[j]] = list = [];
                    }
                    list.Add(pairs.Negatives[j]);
                }
                List<int> a = [], p = [], n = [];
                for (int i = 0; i < pairs.PosAnchors.Length; i++)
                {
                    if (negByAnchor.TryGetValue(pairs.PosAnchors[i], out var negs))
                    {
                        foreach (int nj in negs)
                        {
                            a.Add(pairs.PosAnchors[i]);
                            p.Add(pairs.Positives[i]);
                            n.Add(nj);
                        }
                    }
                }
                return new TripletTuples([.. a], [.. p], [.. n]);
            }
            default:
                throw new ArgumentException($"Unsupported tuple type {tuples.GetType().Name}.", nameof(tuples));
        }
    }

    /// <summary>
    /// Positive and negative masks ([N, M] of 0/1) for losses over the whole matrix: from labels when
    /// <paramref name="tuples"/> is null, otherwise exactly the mined pairs (triplets contribute their two pairs).
    /// </summary>
    public static (Tensor Positive, Tensor Negative) ToMasks(MinedTuples? tuples, int[] labels, int[]? refLabels = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        int n = labels.Length, m = (refLabels ?? labels).Length;
        var pos = new float[n * m];
        var neg = new float[n * m];
        if (tuples is null)
        {
            bool same = refLabels is null;
            var r = refLabels ?? labels;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < m; j++)
                {
                    if (same && i == j)
                    {
                        continue;
                    }
                    (labels[i] == r[j] ? pos : neg)[(i * m) + j] = 1f;
                }
            }
        }
        else
        {
            var pairs = ToPairs(tuples, labels, refLabels);
            Mark(pos, pairs.PosAnchors, pairs.Positives, n, m);
            Mark(neg, pairs.NegAnchors, pairs.Negatives, n, m);
        }
        return (Tensor.Wrap(pos, n, m), Tensor.Wrap(neg, n, m));
    }

    private static void Mark(float[] mask, int[] rows, int[] cols, int n, int m)
    {
        for (int k = 0; k < rows.Length; k++)
        {
            if ((uint)rows[k] >= (uint)n || (uint)cols[k] >= (uint)m)
            {
                throw new ArgumentException($"Tuple index ({rows[k]}, {cols[k]}) is outside the {n}×{m} batch.");
            }
            mask[(rows[k] * m) + cols[k]] = 1f;
        }
    }
}
