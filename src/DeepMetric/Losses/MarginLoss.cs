using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The margin loss of Wu, Manmatha, Smola &amp; Krähenbühl, "Sampling Matters in Deep Embedding Learning" (ICCV 2017):
/// per triplet (a, p, n), [α + D_ap − β]₊ + [α + β − D_an]₊, so positives are pulled inside β − α and negatives pushed
/// beyond β + α. The boundary β is one shared value or one per class (parameter or buffer "beta").
/// </summary>
/// <remarks>
/// As PyTorch Metric Learning 2.8.1: triplets come from the mined tuples (pairs are combined per anchor) or all valid
/// triplets; by default (no <c>reducer</c>) the loss is the sum of both parts over all triplets divided by the number
/// of non-zero parts, and a batch without triplets gives 0. With <see cref="LearnBeta"/>, ν·β is added (shared β), or
/// ν·Σ β over the triplets' anchors divided by the same count (per-class β); without it ν has no effect.
/// Written with the distance's direction, so similarities also work.
/// Defaults: α = 0.2, β₀ = 1.2, ν = 0, β not learned, Euclidean distance on normalised embeddings.
/// </remarks>
public sealed class MarginLoss : PairwiseMetricLoss
{
    private readonly Tensor _beta;
    private readonly bool _ownReduction;

    /// <summary>Creates the loss.</summary>
    /// <param name="margin">The margin α (≥ 0).</param>
    /// <param name="nu">Weight ν of the β regularisation (≥ 0; used only when <paramref name="learnBeta"/>).</param>
    /// <param name="beta">Initial value of the boundary β.</param>
    /// <param name="learnBeta">Register β as a trainable parameter (otherwise a saved, untrained buffer).</param>
    /// <param name="numClasses">One β per class (labels must lie in [0, numClasses)); null for a single shared β.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, L2, normalised).</param>
    /// <param name="reducer">Reducer of the per-triplet values; null (default) divides their sum by the number of non-zero parts.</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public MarginLoss(float margin = 0.2f, float nu = 0f, float beta = 1.2f, bool learnBeta = false, int? numClasses = null,
        Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(), reducer ?? new SumReducer(), embeddingRegularizers)
    {
        Guard.NonNegative(margin);
        Guard.Finite(beta);
        Guard.NonNegative(nu);
        if (numClasses is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses must be positive (or null for one shared beta).");
        }
        Margin = margin;
        Nu = nu;
        NumClasses = numClasses;
        LearnBeta = learnBeta;
        _ownReduction = reducer is null;
        var init = Tensor.Full(beta, numClasses ?? 1);
        _beta = learnBeta ? RegisterParameter("beta", init) : RegisterBuffer("beta", init);
    }

    /// <summary>The margin α.</summary>
    public float Margin { get; }

    /// <summary>The regularisation weight ν.</summary>
    public float Nu { get; }

    /// <summary>Whether β is trained (and regularised by ν).</summary>
    public bool LearnBeta { get; }

    /// <summary>Number of per-class β values, or null for a shared β.</summary>
    public int? NumClasses { get; }

    /// <summary>The boundary β: one value, or one per class ([numClasses]).</summary>
    public Tensor Beta => _beta;

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var t = batch.Triplets();
        if (t.Count == 0)
        {
            yield break;
        }
        var d = batch.Matrix(Distance);
        var pos = d[t.Anchors, t.Positives];
        var neg = d[t.Anchors, t.Negatives];
        var betaIndex = BetaIndex(t.Anchors, batch.Labels);
        var beta = Ops.IndexSelect(_beta, 0, betaIndex);
        // Positives must be closer than β by α, negatives farther than β by α.
        var posLoss = Ops.Relu(Ops.RSub(Margin, Distance.Separation(pos, beta)));
        var negLoss = Ops.Relu(Ops.RSub(Margin, Distance.Separation(beta, neg)));
        var both = Ops.Add(posLoss, negLoss);
        int divisor = CountPositive(posLoss) + CountPositive(negLoss);
        if (!_ownReduction)
        {
            yield return new LossTerm("margin_loss", both, LossTermKind.Triplet, t.Anchors);
        }
        else
        {
            yield return new LossTerm("margin_loss", divisor == 0 ? Ops.Mul(Ops.Sum(both), 0f) : Ops.Mul(Ops.Sum(both), 1f / divisor), LossTermKind.AlreadyReduced);
        }
        if (LearnBeta && Nu > 0)
        {
            var reg = NumClasses is null
                ? Ops.Mul(Ops.Sum(_beta), Nu)
                : divisor == 0 ? Ops.Mul(Ops.Sum(beta), 0f) : Ops.Mul(Ops.Sum(beta), Nu / divisor);
            yield return new LossTerm("beta_reg_loss", reg, LossTermKind.AlreadyReduced);
        }
    }

    private static int CountPositive(Tensor x)
    {
        int c = 0;
        foreach (float v in x.ReadOnlySpan)
        {
            c += v > 0f ? 1 : 0;
        }
        return c;
    }

    private int[] BetaIndex(int[] anchors, int[] labels)
    {
        var idx = new int[anchors.Length];
        if (NumClasses is not int c)
        {
            return idx;
        }
        for (int k = 0; k < anchors.Length; k++)
        {
            int label = labels[anchors[k]];
            if ((uint)label >= (uint)c)
            {
                throw new ArgumentException($"Label {label} is outside [0, {c}) but MarginLoss has one beta per class for {c} classes.", "labels");
            }
            idx[k] = label;
        }
        return idx;
    }
}
