using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The validated input of a loss: embeddings [N, D] with labels, optional mined tuples and an optional separate
/// reference set [M, D] with its labels. When no reference set is given the batch is its own reference
/// (<see cref="SameSet"/>) and self-pairs are excluded everywhere.
/// </summary>
public sealed class MetricBatch
{
    /// <summary>Validates and wraps a loss input.</summary>
    /// <exception cref="ArgumentException">Shapes or lengths disagree, labels are missing, or embeddings are not finite.</exception>
    public MetricBatch(Tensor embeddings, int[] labels, MinedTuples? tuples = null, Tensor? refEmbeddings = null, int[]? refLabels = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(labels);
        CheckEmbeddings(embeddings, labels, nameof(embeddings), nameof(labels));
        if ((refEmbeddings is null) != (refLabels is null))
        {
            throw new ArgumentException("refEmbeddings and refLabels must be given together.", refEmbeddings is null ? nameof(refEmbeddings) : nameof(refLabels));
        }
        if (refEmbeddings is not null)
        {
            CheckEmbeddings(refEmbeddings, refLabels!, nameof(refEmbeddings), nameof(refLabels));
            if (refEmbeddings.Dim(1) != embeddings.Dim(1))
            {
                throw new ArgumentException($"refEmbeddings have dimension {refEmbeddings.Dim(1)} but embeddings {embeddings.Dim(1)}.", nameof(refEmbeddings));
            }
        }
        Embeddings = embeddings;
        Labels = labels;
        Tuples = tuples;
        Reference = refEmbeddings ?? embeddings;
        RefLabels = refLabels ?? labels;
        SameSet = refEmbeddings is null;
        CheckTuples(tuples);
    }

    /// <summary>The batch embeddings [N, D].</summary>
    public Tensor Embeddings { get; }

    /// <summary>Labels of the batch (length N).</summary>
    public int[] Labels { get; }

    /// <summary>Mined tuples, or null for "all valid tuples".</summary>
    public MinedTuples? Tuples { get; }

    /// <summary>The reference embeddings [M, D] (the batch itself when <see cref="SameSet"/>).</summary>
    public Tensor Reference { get; }

    /// <summary>Labels of the reference set.</summary>
    public int[] RefLabels { get; }

    /// <summary>True when the reference set is the batch itself.</summary>
    public bool SameSet { get; }

    /// <summary>N, the batch size.</summary>
    public int Count => Labels.Length;

    /// <summary>The reference labels to pass to <see cref="DeepMetric.Tuples"/> helpers (null when <see cref="SameSet"/>).</summary>
    public int[]? RefLabelsOrNull => SameSet ? null : RefLabels;

    /// <summary>The N × M matrix of <paramref name="distance"/> between batch and reference (differentiable).</summary>
    public Tensor Matrix(Distance distance)
    {
        ArgumentNullException.ThrowIfNull(distance);
        var reference = SameSet ? null : Reference;
        // The miner that produced the tuples may already have computed exactly this matrix (with its graph).
        return (Tuples is null ? null : MinedMatrix.Take(Tuples, distance, Embeddings, reference))
            ?? distance.Pairwise(Embeddings, reference);
    }

    /// <summary>The mined tuples (or all valid ones) as pairs.</summary>
    public PairTuples Pairs() => DeepMetric.Tuples.ToPairs(Tuples, Labels, RefLabelsOrNull);

    /// <summary>The mined tuples (or all valid ones) as triplets.</summary>
    public TripletTuples Triplets() => DeepMetric.Tuples.ToTriplets(Tuples, Labels, RefLabelsOrNull);

    /// <summary>The mined tuples (or all valid pairs) as positive/negative masks [N, M].</summary>
    public (Tensor Positive, Tensor Negative) Masks() => DeepMetric.Tuples.ToMasks(Tuples, Labels, RefLabelsOrNull);

    /// <summary>A scalar 0 connected to the embeddings, so Backward gives a zero (not missing) gradient.</summary>
    public Tensor Zero() => Ops.Mul(Ops.Sum(Embeddings), 0f);

    private static void CheckEmbeddings(Tensor e, int[] labels, string name, string labelsName)
    {
        if (e.Rank != 2)
        {
            throw new ArgumentException($"{name} must be a 2-D tensor [N, D]; got rank {e.Rank}.", name);
        }
        if (labels.Length != e.Dim(0))
        {
            throw new ArgumentException($"{labelsName} has {labels.Length} entries but {name} has {e.Dim(0)} rows.", labelsName);
        }
        var s = e.ReadOnlySpan;
        for (int i = 0; i < s.Length; i++)
        {
            if (!float.IsFinite(s[i]))
            {
                throw new ArgumentException($"{name} contains a non-finite value ({s[i]}) at row {i / Math.Max(1, e.Dim(1))}; check the model output and learning rate.", name);
            }
        }
    }

    private void CheckTuples(MinedTuples? tuples)
    {
        switch (tuples)
        {
            case PairTuples p:
                CheckIndices(p.PosAnchors, Count, "anchor");
                CheckIndices(p.NegAnchors, Count, "anchor");
                CheckIndices(p.Positives, RefLabels.Length, "positive");
                CheckIndices(p.Negatives, RefLabels.Length, "negative");
                break;
            case TripletTuples t:
                CheckIndices(t.Anchors, Count, "anchor");
                CheckIndices(t.Positives, RefLabels.Length, "positive");
                CheckIndices(t.Negatives, RefLabels.Length, "negative");
                break;
        }
    }

    private static void CheckIndices(int[] idx, int n, string what)
    {
        foreach (int i in idx)
        {
            if ((uint)i >= (uint)n)
            {
                throw new ArgumentException($"A mined {what} index {i} is outside [0, {n}).", "tuples");
            }
        }
    }
}
