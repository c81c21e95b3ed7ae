using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The lifted structured loss of Song, Xiang, Jegelka &amp; Savarese, "Deep Metric Learning via Lifted Structured
/// Feature Embedding" (CVPR 2016), in the paper's exact form. For every positive pair (i, j):
/// J_ij = log(Σ_{k∈N(i)} exp(α − D_ik) + Σ_{l∈N(j)} exp(α − D_jl)) + D_ij, and
/// L = 1/(2|P|) Σ_{(i,j)∈P} [J_ij]₊² (a squared hinge), with N(i) the negatives of i.
/// </summary>
/// <remarks>
/// Each term is the value ½[J_ij]₊² of one positive pair; with the default <see cref="MeanReducer"/> the result
/// is the paper's 1/(2|P|) Σ (every unordered pair appears once in each order, which leaves the mean unchanged).
/// Defaults: Euclidean distance D (not squared) on unnormalised embeddings, α = 1. With a similarity, D is the
/// negated similarity. The log-sum-exp is masked, so missing negatives drop out exactly. With a separate
/// reference set, N(i) are the reference negatives of batch sample i and N(j) the reference negatives of
/// reference sample j (by label); mined tuples choose the positive pairs and N(i).
/// </remarks>
public sealed class LiftedStructureLoss : MetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="margin">α, the margin of the negatives.</param>
    /// <param name="distance">Distance (default unnormalised Euclidean <see cref="LpDistance"/>).</param>
    /// <param name="reducer">Reducer over positive pairs (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public LiftedStructureLoss(float margin = 1f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(normalizeEmbeddings: false), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Finite(margin);
        Margin = margin;
    }

    /// <summary>The margin α.</summary>
    public float Margin { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var pairs = batch.Pairs();
        var d = LossRows.AsDistance(Distance, batch.Matrix(Distance));
        var (_, neg) = batch.Masks();
        // Row log-sum-exps of α − D over the negatives; −∞ for rows without negatives (zero gradient).
        var lseQuery = Ops.LogSumExp(Ops.RSub(Margin, d), 1, mask: neg);
        Tensor lseRef;
        if (batch.SameSet)
        {
            lseRef = lseQuery;
        }
        else
        {
            var dr = LossRows.AsDistance(Distance, Distance.Pairwise(batch.Reference));
            var (_, refNeg) = Tuples.ToMasks(null, batch.RefLabels);
            lseRef = Ops.LogSumExp(Ops.RSub(Margin, dr), 1, mask: refNeg);
        }
        var both = Ops.Stack([Ops.IndexSelect(lseQuery, 0, pairs.PosAnchors), Ops.IndexSelect(lseRef, 0, pairs.Positives)], 1);
        var j = Ops.Add(Ops.LogSumExp(both, 1), d[pairs.PosAnchors, pairs.Positives]);
        var values = Ops.Mul(Ops.Pow(Ops.Relu(j), 2f), 0.5f);
        yield return new LossTerm("loss", values, LossTermKind.PositivePair, pairs.PosAnchors);
    }
}
