using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The margin loss of Wu, Manmatha, Smola &amp; Krähenbühl, "Sampling Matters in Deep Embedding Learning" (ICCV 2017):
/// per pair (i, j), ℓ = [α + y_ij (D_ij − β)]₊ with y_ij = +1 for a positive and −1 for a negative pair, so positives
/// are pulled inside β − α and negatives pushed beyond β + α. The boundary β is learnable (a registered parameter
/// "beta", one shared value or one per class), and ν·β is added as its regularisation.
/// </summary>
/// <remarks>
/// Written with the distance's direction, so similarities also work: positives [α − Separation(D, β)]₊, negatives
/// [α − Separation(β, D)]₊. The β of a pair is the β of its anchor's class (per-class mode) or the shared one.
/// The terms are "pos_loss" and "neg_loss" (each reduced on its own) and, when ν &gt; 0, "beta_reg_loss" =
/// ν · mean over the batch anchors of their β (= ν·β with a shared β). Pairs come from the mined tuples
/// (triplets give their two pairs) or all valid pairs.
/// Defaults: α = 0.2, β₀ = 1.2, ν = 0, Euclidean distance on normalised embeddings, average of non-zero losses.
/// </remarks>
public sealed class MarginLoss : MetricLoss
{
    private readonly Tensor _beta;

    /// <summary>Creates the loss.</summary>
    /// <param name="margin">The margin α (≥ 0).</param>
    /// <param name="beta">Initial value of the boundary β.</param>
    /// <param name="nu">Weight ν of the β regularisation (≥ 0).</param>
    /// <param name="learnBeta">Register β as a trainable parameter (otherwise a saved, untrained buffer).</param>
    /// <param name="numClasses">One β per class (labels must lie in [0, numClasses)); null for a single shared β.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, L2, normalised).</param>
    /// <param name="reducer">Reducer (default <see cref="AvgNonZeroReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public MarginLoss(float margin = 0.2f, float beta = 1.2f, float nu = 0f, bool learnBeta = true, int? numClasses = null,
        Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(), reducer ?? new AvgNonZeroReducer(), embeddingRegularizers)
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
        var init = Tensor.Full(beta, numClasses ?? 1);
        _beta = learnBeta ? RegisterParameter("beta", init) : RegisterBuffer("beta", init);
    }

    /// <summary>The margin α.</summary>
    public float Margin { get; }

    /// <summary>The regularisation weight ν.</summary>
    public float Nu { get; }

    /// <summary>Number of per-class β values, or null for a shared β.</summary>
    public int? NumClasses { get; }

    /// <summary>The boundary β: one value, or one per class ([numClasses]).</summary>
    public Tensor Beta => _beta;

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var pairs = batch.Pairs();
        var d = batch.Matrix(Distance);
        var pos = d[pairs.PosAnchors, pairs.Positives];
        var neg = d[pairs.NegAnchors, pairs.Negatives];
        var betaPos = Ops.IndexSelect(_beta, 0, BetaIndex(pairs.PosAnchors, batch.Labels));
        var betaNeg = Ops.IndexSelect(_beta, 0, BetaIndex(pairs.NegAnchors, batch.Labels));
        // Positives must be closer than β by α, negatives farther than β by α.
        yield return new LossTerm("pos_loss", Ops.Relu(Ops.RSub(Margin, Distance.Separation(pos, betaPos))), LossTermKind.PositivePair, pairs.PosAnchors);
        yield return new LossTerm("neg_loss", Ops.Relu(Ops.RSub(Margin, Distance.Separation(betaNeg, neg))), LossTermKind.NegativePair, pairs.NegAnchors);
        if (Nu > 0 && batch.Count > 0)
        {
            var all = new int[batch.Count];
            for (int i = 0; i < all.Length; i++)
            {
                all[i] = i;
            }
            var betas = Ops.IndexSelect(_beta, 0, BetaIndex(all, batch.Labels));
            yield return new LossTerm("beta_reg_loss", Ops.Mul(Ops.Mean(betas), Nu), LossTermKind.AlreadyReduced);
        }
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
