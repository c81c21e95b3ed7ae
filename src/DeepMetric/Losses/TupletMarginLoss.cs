using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The tuplet margin loss of Yu &amp; Tao, "Deep Metric Learning with Tuplet Margin Loss" (ICCV 2019): for each positive
/// pair (a, p) with angle θ_ap, ℓ = log(1 + Σ_n exp(s·(cos θ_an − cos(θ_ap − m)))) over the negatives n of the anchor.
/// The slack margin m keeps positives from collapsing onto the anchor; the scale s sharpens the soft maximum.
/// </summary>
/// <remarks>
/// cos(θ − m) is computed as cos θ·cos m + sin θ·sin m with sin θ = √(1 − cos²θ); the cosine is clamped just
/// inside ±1 so that duplicated embeddings (θ = 0) give a finite gradient. The sum is a masked log-sum-exp with an
/// implicit e⁰, so s = 64 does not overflow. Negatives are those of the mined tuples (or all of the anchor's).
/// Defaults: m = 5.73° (given in degrees), s = 64, <see cref="CosineSimilarity"/> (the only distance accepted:
/// the loss is defined on angles), mean over positive pairs.
/// </remarks>
public sealed class TupletMarginLoss : PairwiseMetricLoss
{
    // Keeps sin θ ≥ ~4.5e-3 so its derivative stays bounded for (near-)duplicates.
    private const float CosineLimit = 1f - 1e-5f;

    /// <summary>Creates the loss.</summary>
    /// <param name="marginDegrees">The angular margin m in degrees (0 ≤ m &lt; 180).</param>
    /// <param name="scale">The scale s &gt; 0.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public TupletMarginLoss(float marginDegrees = 5.73f, float scale = 64f, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.InRange(marginDegrees, 0, 180, maxExclusive: true);
        Guard.Positive(scale);
        MarginDegrees = marginDegrees;
        Scale = scale;
    }

    /// <summary>The margin m in degrees.</summary>
    public float MarginDegrees { get; }

    /// <summary>The scale s.</summary>
    public float Scale { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var pairs = batch.Pairs();
        var (_, negMask) = batch.Masks();
        var sim = batch.Matrix(Distance);
        double m = MarginDegrees * Math.PI / 180.0;
        var cosAp = Ops.Clamp(sim[pairs.PosAnchors, pairs.Positives], -CosineLimit, CosineLimit);
        var sinAp = Ops.Sqrt(Ops.RSub(1f, Ops.Mul(cosAp, cosAp)));
        var cosApMargin = Ops.Add(Ops.Mul(cosAp, (float)Math.Cos(m)), Ops.Mul(sinAp, (float)Math.Sin(m)));   // [P]
        // Row k holds the anchor's similarities to every reference; the anchor's negative mask selects the sum.
        var rows = Ops.IndexSelect(sim, 0, pairs.PosAnchors);                                                    // [P, M]
        Tensor rowMask;
        using (Tensor.NoGrad())
        {
            rowMask = Ops.IndexSelect(negMask, 0, pairs.PosAnchors);
        }
        var logits = Ops.Mul(Ops.Sub(rows, Ops.Unsqueeze(cosApMargin, 1)), Scale);
        var values = Ops.LogSumExp(logits, 1, mask: rowMask, includeZero: true);
        yield return new LossTerm("tuplet_margin_loss", values, LossTermKind.PositivePair, pairs.PosAnchors);
    }
}
