using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The angular loss of Wang, Zhou, Wen, Liu &amp; Lin, "Deep Metric Learning with Angular Loss" (ICCV 2017), in its
/// N-pair form (eq. 8 of the paper): for each positive pair (a, p) and the anchor's negatives n,
/// f_apn = 4 tan²α (x_a + x_p)ᵀx_n − 2(1 + tan²α) x_aᵀx_p and ℓ_ap = log(1 + Σ_n exp(f_apn)).
/// It bounds the angle at the negative of the triangle (a, p, n) by α.
/// </summary>
/// <remarks>
/// As PyTorch Metric Learning 2.8.1: x_a and x_p are L2-normalised but the negatives x_n are used as given (the paper
/// normalises all three: <c>normalizeNegatives: true</c>). Every positive pair (mined, or all valid ones) is an
/// anchor–positive pair; its negatives are all reference items with another label (mined negatives only decide
/// whether the batch has any). With a separate reference set, p and n come from the reference set. The sum is a
/// masked log-sum-exp with an implicit e⁰, so it never overflows. Its distance is reported as
/// <see cref="CosineSimilarity"/>. Defaults: α = 40°, mean over positive pairs.
/// </remarks>
public sealed class AngularLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="alphaDegrees">The angle bound α in degrees (0 &lt; α &lt; 90).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="normalizeNegatives">L2-normalise the negatives too (the paper; PML: false).</param>
    public AngularLoss(float alphaDegrees = 40f, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null,
        bool normalizeNegatives = false)
        : base(new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        NormalizeNegatives = normalizeNegatives;
        Guard.InRange(alphaDegrees, 0, 90, minExclusive: true, maxExclusive: true);
        AlphaDegrees = alphaDegrees;
    }

    /// <summary>Whether the negatives are L2-normalised as well.</summary>
    public bool NormalizeNegatives { get; }

    /// <summary>The angle α in degrees.</summary>
    public float AlphaDegrees { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var pairs = batch.Pairs();
        if (pairs.PosAnchors.Length == 0 || pairs.NegAnchors.Length == 0)
        {
            yield break;
        }
        var (_, negMask) = Tuples.ToMasks(null, batch.Labels, batch.RefLabelsOrNull);
        double tan = Math.Tan(AlphaDegrees * Math.PI / 180.0);
        float sqTan = (float)(tan * tan);
        var x = Ops.L2Normalize(batch.Embeddings, axis: 1);
        var r = batch.SameSet ? x : Ops.L2Normalize(batch.Reference, axis: 1);
        var xa = Ops.IndexSelect(x, 0, pairs.PosAnchors);                                    // [P, D]
        var xp = Ops.IndexSelect(r, 0, pairs.Positives);                                     // [P, D]
        var apDot = Ops.Sum(Ops.Mul(xa, xp), 1, keepDim: true);                               // [P, 1]
        var negatives = NormalizeNegatives ? r : batch.Reference;
        var sumDotN = Ops.Matmul(Ops.Add(xa, xp), negatives, transA: false, transB: true);   // [P, M]
        var f = Ops.Sub(Ops.Mul(sumDotN, 4f * sqTan), Ops.Mul(apDot, 2f * (1f + sqTan)));
        Tensor rowMask;
        using (Tensor.NoGrad())
        {
            rowMask = Ops.IndexSelect(negMask, 0, pairs.PosAnchors);
        }
        var values = Ops.LogSumExp(f, 1, mask: rowMask, includeZero: true);
        yield return new LossTerm("angular_loss", values, LossTermKind.PositivePair, pairs.PosAnchors);
    }
}
