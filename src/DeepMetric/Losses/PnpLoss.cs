using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The PNP loss of Li, Ji, Li, Zhang &amp; Ji, "Rethinking the Optimization of Average Precision: Only Penalizing
/// Negative Instances before Positive Ones is Enough" (AAAI 2022), as PyTorch Metric Learning 2.8.1 computes it.
/// With cosine similarities s, R_ij = Σ_k σ((s_ik − s_ij)/τ)·[j, k negative], the smoothed count of negatives ranked
/// above j from anchor i, transformed by the <see cref="PnpVariant"/> and averaged over each anchor's positives
/// (the anchor itself included), then over the anchors that have a positive; a batch without positive pairs gives 0.
/// </summary>
/// <remarks>
/// As PML: the negative indicator is that of the pair (j, k) (PML's mask), the sigmoid's argument is clamped to
/// [−50, 50], and <see cref="PnpVariant.Dq"/> reports 1 − the mean.
/// Memory is N³ floats. Mined tuples and a separate reference set are rejected.
/// Defaults: b = 2, α = 1, τ = 0.01, variant O, <see cref="CosineSimilarity"/>.
/// </remarks>
public sealed class PnpLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="b">b &gt; 0 of <see cref="PnpVariant.Ib"/>.</param>
    /// <param name="alpha">α &gt; 0 of <see cref="PnpVariant.Dq"/>.</param>
    /// <param name="anneal">The sigmoid temperature τ &gt; 0.</param>
    /// <param name="variant">The rank transformation.</param>
    /// <param name="reducer">Reducer (the loss is already a scalar; default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public PnpLoss(float b = 2f, float alpha = 1f, float anneal = 0.01f, PnpVariant variant = PnpVariant.O, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Positive(b);
        Guard.Positive(alpha);
        Guard.Positive(anneal);
        if (!Enum.IsDefined(variant))
        {
            throw new ArgumentOutOfRangeException(nameof(variant), variant, "Unknown PNP variant.");
        }
        B = b;
        Alpha = alpha;
        Anneal = anneal;
        Variant = variant;
    }

    /// <summary>b of the I_b variant.</summary>
    public float B { get; }

    /// <summary>α of the D_q variant.</summary>
    public float Alpha { get; }

    /// <summary>The sigmoid temperature τ.</summary>
    public float Anneal { get; }

    /// <summary>The rank transformation.</summary>
    public PnpVariant Variant { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        if (batch.Tuples is not null)
        {
            throw new ArgumentException("PnpLoss does not use mined tuples.", "tuples");
        }
        if (!batch.SameSet)
        {
            throw new ArgumentException("PnpLoss does not support a separate reference set.", "refEmbeddings");
        }
        int n = batch.Count;
        if (n == 0)
        {
            yield break;
        }
        var labels = batch.Labels;
        var pos = new float[n * n];
        var neg = new float[n * n];
        var posCount = new float[n];
        var safe = new float[n];
        int safeCount = 0;
        for (int i = 0; i < n; i++)
        {
            // As PML: only anchors with a positive pair count, and for them the anchor's own column is a positive too.
            bool hasPositive = false;
            for (int j = 0; j < n; j++)
            {
                hasPositive |= j != i && labels[i] == labels[j];
            }
            for (int j = 0; j < n; j++)
            {
                bool same = labels[i] == labels[j];
                pos[(i * n) + j] = same && hasPositive ? 1f : 0f;
                neg[(i * n) + j] = same ? 0f : 1f;
                posCount[i] += pos[(i * n) + j];
            }
            safe[i] = hasPositive ? 1f : 0f;
            safeCount += hasPositive ? 1 : 0;
            posCount[i] = Math.Max(posCount[i], 1f);
        }
        if (safeCount == 0)
        {
            yield break;
        }
        var s = batch.Matrix(Distance);
        // [i, j, k] = s_ik − s_ij.
        var diff = Ops.Sub(Ops.Unsqueeze(s, 1), Ops.Unsqueeze(s, 2));
        var sig = Ops.Sigmoid(Ops.Neg(Ops.Clamp(Ops.Mul(diff, -1f / Anneal), -50f, 50f)));
        var rank = Ops.Sum(Ops.Mul(sig, Tensor.Wrap(neg, 1, n, n)), 2);
        var onePlus = Ops.Add(rank, 1f);
        var transformed = Variant switch
        {
            PnpVariant.Ds => Ops.Log(onePlus),
            PnpVariant.Dq => Ops.Pow(onePlus, -Alpha),
            PnpVariant.Iu => Ops.Mul(onePlus, Ops.Log(onePlus)),
            PnpVariant.Ib => Ops.Mul(Ops.Sub(Ops.Mul(rank, B), Ops.Log(Ops.Add(Ops.Mul(rank, B), 1f))), 1f / (B * B)),
            _ => rank,
        };
        var perAnchor = Ops.Div(Ops.Sum(Ops.Mul(transformed, Tensor.Wrap(pos, n, n)), 1), Tensor.Wrap(posCount, n));
        var loss = Ops.Mul(Ops.Sum(Ops.Mul(perAnchor, Tensor.Wrap(safe, n))), 1f / safeCount);
        if (Variant == PnpVariant.Dq)
        {
            loss = Ops.RSub(1f, loss);
        }
        yield return new LossTerm("loss", loss, LossTermKind.AlreadyReduced);
    }
}
