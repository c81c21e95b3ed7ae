using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Losses;

/// <summary>
/// The triplet margin loss of Weinberger &amp; Saul (2009) as used by FaceNet (Schroff et al., CVPR 2015):
/// [d(a,p) − d(a,n) + margin]₊ per triplet (written with the distance's own direction, so similarities work).
/// Options: the distance swap of Balntas et al. (BMVC 2016) — use the closer of d(a,n) and d(p,n) — the smooth
/// (softplus) variant log(1 + e^(margin − separation)) of Hermans et al. (2017), and a limit on triplets per anchor.
/// Defaults: margin 0.05 on normalised Euclidean distance, average of non-zero losses.
/// </summary>
public sealed class TripletMarginLoss : PairwiseMetricLoss, IRandomSource
{
    private readonly Prng _rng;

    /// <summary>The generator of the loss's random choices (saved in checkpoints).</summary>
    public Prng Rng => _rng;

    /// <summary>Creates the loss.</summary>
    /// <param name="margin">Required separation between the positive and the negative.</param>
    /// <param name="swap">Use the closer of d(a,n) and d(p,n) as the negative distance.</param>
    /// <param name="smoothLoss">Softplus instead of the hinge.</param>
    /// <param name="tripletsPerAnchor">When no tuples are given, at most this many random triplets per anchor (null: all).</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>).</param>
    /// <param name="reducer">Reducer (default <see cref="AvgNonZeroReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="seed">Seed of the triplet sampling.</param>
    public TripletMarginLoss(float margin = 0.05f, bool swap = false, bool smoothLoss = false, int? tripletsPerAnchor = null,
        Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, ulong seed = 0)
        : base(distance ?? new LpDistance(), reducer ?? new AvgNonZeroReducer(), embeddingRegularizers)
    {
        Guard.Finite(margin);
        if (tripletsPerAnchor is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tripletsPerAnchor), tripletsPerAnchor, "tripletsPerAnchor must be positive (or null for all).");
        }
        Margin = margin;
        Swap = swap;
        SmoothLoss = smoothLoss;
        TripletsPerAnchor = tripletsPerAnchor;
        _rng = new Prng(seed);
    }

    /// <summary>The margin.</summary>
    public float Margin { get; }

    /// <summary>Whether the distance swap is used.</summary>
    public bool Swap { get; }

    /// <summary>Whether the softplus form is used.</summary>
    public bool SmoothLoss { get; }

    /// <summary>Limit of sampled triplets per anchor when none are mined (null: all).</summary>
    public int? TripletsPerAnchor { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var t = batch.Triplets();
        if (batch.Tuples is null && TripletsPerAnchor is int k)
        {
            t = SamplePerAnchor(t, k);
        }
        var d = batch.Matrix(Distance);
        if (!Swap)
        {
            // One fused node reading d[a,p] and d[a,n] from the matrix (same values as the gathers below).
            var v = TripletViolation.Compute(d, t, Margin, Distance.IsInverted, hinge: !SmoothLoss);
            yield return new LossTerm("triplet_loss", SmoothLoss ? Ops.Softplus(v) : v, LossTermKind.Triplet, t.Anchors);
            yield break;
        }
        var ap = d[t.Anchors, t.Positives];
        var an = d[t.Anchors, t.Negatives];
        if (Swap)
        {
            var refMatrix = batch.SameSet ? d : Distance.Pairwise(batch.Reference);
            var pn = refMatrix[t.Positives, t.Negatives];
            // Keep whichever negative distance is closer: min for distances, max for similarities.
            an = Distance.IsInverted ? Ops.Maximum(an, pn) : Ops.Minimum(an, pn);
        }
        var violation = Ops.RSub(Margin, Distance.Separation(ap, an));
        var values = SmoothLoss ? Ops.Softplus(violation) : Ops.Relu(violation);
        yield return new LossTerm("triplet_loss", values, LossTermKind.Triplet, t.Anchors);
    }

    private TripletTuples SamplePerAnchor(TripletTuples all, int k)
    {
        // Triplets of an anchor are contiguous in AllTriplets; sample k of each run without replacement.
        List<int> a = [], p = [], n = [];
        int start = 0;
        while (start < all.Count)
        {
            int end = start;
            while (end < all.Count && all.Anchors[end] == all.Anchors[start])
            {
                end++;
            }
            int len = end - start;
            var order = Enumerable.Range(start, len).ToArray();
            if (len > k)
            {
                _rng.Shuffle(order.AsSpan());
            }
            for (int i = 0; i < Math.Min(k, len); i++)
            {
                a.Add(all.Anchors[order[i]]);
                p.Add(all.Positives[order[i]]);
                n.Add(all.Negatives[order[i]]);
            }
            start = end;
        }
        return new TripletTuples([.. a], [.. p], [.. n]);
    }
}
