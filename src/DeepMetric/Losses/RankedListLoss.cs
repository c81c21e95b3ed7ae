using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The ranked list loss of Wang, Hua, Kodirov, Hu, Garnier &amp; Robertson, "Ranked List Loss for Deep Metric Learning"
/// (CVPR 2019): each anchor ranks its reference list so that positives lie inside α − m and negatives beyond the
/// boundary α. Per anchor i, with the violating pairs P* (d_ip &gt; α − m) and N* (d_in &lt; α),
/// L_P = Σ_{P*} w_p [d_ip − (α − m)] / (Σ_{P*} w_p + M·10⁻⁵), L_N = Σ_{N*} w_n [α − d_in] / (Σ_{N*} w_n + M·10⁻⁵),
/// w_p = exp(T_p (d_ip − (α − m))), w_n = exp(T_n (α − d_in)), and ℓᵢ = (1 − κ) L_P + κ L_N, as PyTorch Metric
/// Learning 2.8.1 computes it (M = the list length; pairs at distance exactly 0 are not counted, as there).
/// </summary>
/// <remarks>
/// As PML, the gradient flows through the weights. <c>detachWeights: true</c> is the paper's form instead: the weights
/// are constants of the step, normalised per anchor (a softmax of T·violation over P* or N*, without the 10⁻⁵ terms).
/// Written with the distance's direction (violations are −Separation), so similarities also work. Pairs come from the
/// mined tuples (as masks) or all valid pairs; an anchor with no violating pair gives 0.
/// Defaults: m = 0.4, α = 1 + m/2, T_n = 10, T_p = 0, κ = 0.5, Euclidean distance on normalised embeddings, mean over
/// anchors.
/// </remarks>
public sealed class RankedListLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="margin">The margin m between the positive and negative boundaries (≥ 0).</param>
    /// <param name="alpha">The negative boundary α (positives are pulled inside α − m); null for 1 + m/2 (PML's default).</param>
    /// <param name="tn">Temperature T_n ≥ 0 of the negative weighting.</param>
    /// <param name="tp">Temperature T_p ≥ 0 of the positive weighting (0 = off).</param>
    /// <param name="imbalance">κ in [0, 1]: the weight of L_N (L_P gets 1 − κ).</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, L2, normalised).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="detachWeights">The paper's detached, per-anchor normalised weights instead of PML's.</param>
    public RankedListLoss(float margin = 0.4f, float? alpha = null, float tn = 10f, float tp = 0f, float imbalance = 0.5f,
        Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null,
        bool detachWeights = false)
        : base(distance ?? new LpDistance(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.NonNegative(margin);
        float a = alpha ?? 1f + (margin / 2f);
        if (!float.IsFinite(a))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be finite.");
        }
        Guard.NonNegative(tn);
        Guard.NonNegative(tp);
        Guard.InRange(imbalance, 0f, 1f);
        Margin = margin;
        Alpha = a;
        Tn = tn;
        Tp = tp;
        Imbalance = imbalance;
        DetachWeights = detachWeights;
    }

    /// <summary>The margin m.</summary>
    public float Margin { get; }

    /// <summary>The negative boundary α.</summary>
    public float Alpha { get; }

    /// <summary>Temperature of the negative weighting.</summary>
    public float Tn { get; }

    /// <summary>Temperature of the positive weighting.</summary>
    public float Tp { get; }

    /// <summary>κ, the weight of the negative part (the positive part has 1 − κ).</summary>
    public float Imbalance { get; }

    /// <summary>True for the paper's detached, normalised weights.</summary>
    public bool DetachWeights { get; }

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
        Tensor lp, ln;
        if (DetachWeights)
        {
            lp = Ops.Sum(Ops.Mul(posViolation, Weights(posViolation, posMask, Tp)), 1);
            ln = Ops.Sum(Ops.Mul(negViolation, Weights(negViolation, negMask, Tn)), 1);
        }
        else
        {
            lp = WeightedPart(posViolation, Selected(posViolation, posMask, d), Tp);
            ln = WeightedPart(negViolation, Selected(negViolation, negMask, d), Tn);
        }
        var values = Ops.Add(Ops.Mul(lp, 1f - Imbalance), Ops.Mul(ln, Imbalance));
        var anchors = new int[batch.Count];
        for (int i = 0; i < anchors.Length; i++)
        {
            anchors[i] = i;
        }
        yield return new LossTerm("ranked_list_loss", values, LossTermKind.Element, anchors);
    }

    // PML: Σ w·v / (Σ w + M·1e-5) per row with w = exp(T·v) on the selected entries, differentiable.
    private static Tensor WeightedPart(Tensor violation, Tensor selected, float temperature)
    {
        int m = violation.Dim(1);
        var w = Ops.Mul(Ops.Exp(Ops.Mul(violation, temperature)), selected);
        var num = Ops.Sum(Ops.Mul(w, violation), 1);
        var den = Ops.Add(Ops.Sum(w, 1), m * 1e-5f);
        return Ops.Div(num, den);
    }

    // The violating pairs of the mask; as PML, a pair whose value is exactly 0 (e.g. duplicated embeddings) is not one.
    private static Tensor Selected(Tensor violation, Tensor mask, Tensor values)
    {
        var v = violation.ReadOnlySpan;
        var k = mask.ReadOnlySpan;
        var x = values.ReadOnlySpan;
        var sel = new float[v.Length];
        for (int i = 0; i < sel.Length; i++)
        {
            sel[i] = k[i] != 0 && v[i] > 0 && x[i] != 0 ? 1f : 0f;
        }
        return Tensor.Wrap(sel, violation.Dim(0), violation.Dim(1));
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
