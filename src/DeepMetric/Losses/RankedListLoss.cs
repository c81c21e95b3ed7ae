using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The ranked list loss of Wang, Hua, Kodirov, Hu, Garnier &amp; Robertson, "Ranked List Loss for Deep Metric Learning"
/// (CVPR 2019): each anchor ranks its reference list so that positives lie inside α − m and negatives beyond the
/// boundary α. Per anchor i,
/// L_P = Σ_{p ∈ P*} w_p [d_ip − (α − m)]₊ and L_N = Σ_{n ∈ N*} w_n [α − d_in]₊, ℓᵢ = L_P + λ·L_N,
/// where P*, N* are the violating (non-trivial) pairs and the weights are the detached, per-anchor normalised
/// w = exp(T · violation) / Σ exp(T · violation) (T_p for positives, T_n for negatives). T = 0 gives the plain mean.
/// </summary>
/// <remarks>
/// Written with the distance's direction (violations are −Separation), so similarities also work: for a similarity s
/// positives violate when s &lt; α + m and negatives when s &gt; α. The weights are
/// computed max-stabilised in double precision and carry no gradient, as in the paper. Pairs come from the mined
/// tuples (as masks) or all valid pairs; an anchor with no violating pair gives 0. PyTorch Metric Learning's
/// "imbalance" κ weights (1 − κ)·L_P + κ·L_N; λ = 1 here is its κ = 0.5 up to a factor 2.
/// Defaults: m = 0.4, α = 1.2, T_n = 10, T_p = 0, λ = 1, Euclidean distance on normalised embeddings, mean over
/// anchors.
/// </remarks>
public sealed class RankedListLoss : MetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="margin">The margin m between the positive and negative boundaries (≥ 0).</param>
    /// <param name="alpha">The negative boundary α (positives are pulled inside α − m).</param>
    /// <param name="tn">Temperature T_n ≥ 0 of the negative weighting.</param>
    /// <param name="tp">Temperature T_p ≥ 0 of the positive weighting (0 = off).</param>
    /// <param name="negativeWeight">λ ≥ 0, the weight of L_N.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, L2, normalised).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public RankedListLoss(float margin = 0.4f, float alpha = 1.2f, float tn = 10f, float tp = 0f, float negativeWeight = 1f,
        Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.NonNegative(margin);
        Guard.Finite(alpha);
        Guard.NonNegative(tn);
        Guard.NonNegative(tp);
        Guard.NonNegative(negativeWeight);
        Margin = margin;
        Alpha = alpha;
        Tn = tn;
        Tp = tp;
        NegativeWeight = negativeWeight;
    }

    /// <summary>The margin m.</summary>
    public float Margin { get; }

    /// <summary>The negative boundary α.</summary>
    public float Alpha { get; }

    /// <summary>Temperature of the negative weighting.</summary>
    public float Tn { get; }

    /// <summary>Temperature of the positive weighting.</summary>
    public float Tp { get; }

    /// <summary>The weight λ of the negative part.</summary>
    public float NegativeWeight { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var (posMask, negMask) = batch.Masks();
        var d = batch.Matrix(Distance);
        // Violations: positives not inside the boundary moved closer by m (α − m for distances, α + m for
        // similarities), negatives not beyond α.
        float posBoundary = Distance.IsInverted ? Alpha + Margin : Alpha - Margin;
        var posViolation = Ops.Relu(Ops.Neg(Distance.Separation(d, posBoundary)));
        var negViolation = Ops.Relu(Ops.Neg(Distance.Separation(Alpha, d)));
        var wPos = Weights(posViolation, posMask, Tp);
        var wNeg = Weights(negViolation, negMask, Tn);
        var lp = Ops.Sum(Ops.Mul(posViolation, wPos), 1);
        var ln = Ops.Sum(Ops.Mul(negViolation, wNeg), 1);
        var values = Ops.Add(lp, Ops.Mul(ln, NegativeWeight));
        var anchors = new int[batch.Count];
        for (int i = 0; i < anchors.Length; i++)
        {
            anchors[i] = i;
        }
        yield return new LossTerm("ranked_list_loss", values, LossTermKind.Element, anchors);
    }

    /// <summary>Per-row softmax of T·violation over the violating entries of <paramref name="mask"/>; 0 elsewhere.</summary>
    private static Tensor Weights(Tensor violation, Tensor mask, float temperature)
    {
        int n = violation.Dim(0), m = violation.Dim(1);
        var v = violation.ReadOnlySpan;
        var k = mask.ReadOnlySpan;
        var w = new float[n * m];
        for (int i = 0; i < n; i++)
        {
            int row = i * m;
            double max = double.NegativeInfinity;
            for (int j = 0; j < m; j++)
            {
                if (k[row + j] != 0 && v[row + j] > 0)
                {
                    max = Math.Max(max, temperature * (double)v[row + j]);
                }
            }
            if (double.IsNegativeInfinity(max))
            {
                continue;
            }
            double sum = 0;
            for (int j = 0; j < m; j++)
            {
                if (k[row + j] != 0 && v[row + j] > 0)
                {
                    sum += Math.Exp((temperature * (double)v[row + j]) - max);
                }
            }
            for (int j = 0; j < m; j++)
            {
                if (k[row + j] != 0 && v[row + j] > 0)
                {
                    w[row + j] = (float)(Math.Exp((temperature * (double)v[row + j]) - max) / sum);
                }
            }
        }
        return Tensor.Wrap(w, n, m);
    }
}
