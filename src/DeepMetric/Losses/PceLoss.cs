using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The pairwise cross-entropy (PCE) of Boudiaf et al., "A Unifying Mutual Information View of Metric Learning:
/// Cross-Entropy vs. Pairwise Losses" (ECCV 2020): the pairwise loss that a linear-classifier cross-entropy with weight
/// decay λ bounds from above, so that training with the cross-entropy is an approximate bound-optimization
/// (Majorize-Minimize) of it. PCE(Z) = min_θ [ CE(θ; Z) + (λ/2)‖θ‖² ], written through the minimiser's closed form
/// θ_k = (c_k − c_k^s)/λ, with the class means c_k = (1/n) Σ_{j: y_j = k} z_j and the soft means
/// c_k^s = (1/n) Σ_j p_jk z_j (p the classifier's softmax probabilities at θ):
/// <code>
/// L = −1/(2λn²) Σ_i Σ_{j: y_j = y_i} s_ij                                    tightness
///     + (1/n) Σ_i log Σ_k exp( 1/(λn) Σ_j (1[y_j = k] − p_jk) s_ij )          contrastive
///     + 1/(2λn²) Σ_i Σ_k p_ik Σ_j p_jk s_ij                                   soft-mean
/// </code>
/// with s_ij = z_iᵀz_j and k over the classes of the batch. For every classifier θ, CE(θ) + (λ/2)‖θ‖² ≥ L.
/// </summary>
/// <remarks>
/// <para>
/// The probabilities p are found without gradient by minimising the strongly convex inner problem (accelerated
/// gradient descent on the classifier, kept in the span of the batch so only the similarity matrix is needed). At that
/// minimum the classifier's own gradient vanishes, so by the envelope theorem the gradient of the expression above
/// with p held fixed is the exact gradient of PCE with respect to the embeddings.
/// </para>
/// <para>
/// Larger λ gives a looser, flatter bound (λ → ∞ tends to log K) and converges in fewer iterations; smaller λ is closer
/// to the unregularised cross-entropy. The default λ = 1 suits L2-normalised embeddings. The similarity must be an
/// inner product (<see cref="DotProductSimilarity"/>, the paper's, or <see cref="CosineSimilarity"/>). Both j-sums
/// include j = i as in the paper; a separate reference set and mined tuples are not accepted, since the implicit
/// classifier is fitted on the batch itself. A batch of one class gives exactly 0. The three per-anchor terms are
/// returned as "tightness", "contrastive" and "soft-mean"; the default <see cref="MeanReducer"/> gives the formula
/// above. <see cref="SpceLoss"/> is the simplified variant.
/// </para>
/// </remarks>
public sealed class PceLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="lambda">λ &gt; 0, the weight decay of the implicit classifier (default 1).</param>
    /// <param name="distance">Inner-product similarity (default <see cref="DotProductSimilarity"/>).</param>
    /// <param name="reducer">Reducer of the per-anchor terms (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="maxIterations">Most iterations of the inner solver (default 2000).</param>
    /// <exception cref="ArgumentOutOfRangeException">λ is not a positive finite number, or maxIterations &lt; 1.</exception>
    /// <exception cref="ArgumentException">The similarity is not an inner product.</exception>
    public PceLoss(float lambda = 1f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, int maxIterations = 2000)
        : base(distance ?? new DotProductSimilarity(normalizeEmbeddings: false), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        if (!(lambda > 0f) || !float.IsFinite(lambda))
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "PceLoss: lambda must be a positive finite number.");
        }
        if (maxIterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxIterations), maxIterations, "PceLoss: maxIterations must be at least 1.");
        }
        if (Distance is not (DotProductSimilarity or CosineSimilarity))
        {
            throw new ArgumentException($"PceLoss needs an inner-product similarity (DotProductSimilarity or CosineSimilarity), got {Distance.GetType().Name}.", nameof(distance));
        }
        Lambda = lambda;
        MaxIterations = maxIterations;
    }

    /// <summary>λ, the weight decay of the implicit classifier.</summary>
    public float Lambda { get; }

    /// <summary>Most iterations of the inner solver.</summary>
    public int MaxIterations { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        if (batch.Tuples is not null)
        {
            throw new ArgumentException($"{GetType().Name} fits a classifier on whole classes, not mined tuples; pass tuples: null.", "tuples");
        }
        if (!batch.SameSet)
        {
            throw new ArgumentException($"{GetType().Name} fits its implicit classifier on the batch itself; a separate reference set is not supported.", "refEmbeddings");
        }
        int n = batch.Count;
        var s = batch.Matrix(Distance);
        var column = LabelGroups.DenseIndex(batch.Labels);
        int classes = column.Count;
        var classOf = Array.ConvertAll(batch.Labels, y => column[y]);
        var p = PceSolver.SoftAssignments(s.ToArray(), n, classOf, classes, Lambda, MaxIterations);

        // (Y − P)/(λn): the closed-form classifier's coefficients on the batch.
        var coef = new float[n * classes];
        var pScaled = new float[n * classes];
        var same = new float[n * n];
        double invLn = 1.0 / (Lambda * (double)n);
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < classes; k++)
            {
                double y = classOf[i] == k ? 1.0 : 0.0;
                coef[(i * classes) + k] = (float)((y - p[(i * classes) + k]) * invLn);
                pScaled[(i * classes) + k] = (float)(p[(i * classes) + k] * Math.Sqrt(0.5 * invLn));
            }
            for (int j = 0; j < n; j++)
            {
                if (classOf[i] == classOf[j])
                {
                    same[(i * n) + j] = (float)(-0.5 * invLn);
                }
            }
        }
        var anchors = Enumerable.Range(0, n).ToArray();
        var tightness = Ops.Sum(Ops.Mul(s, Tensor.FromArray(same, n, n)), 1);
        var logits = Ops.Matmul(s, Tensor.FromArray(coef, n, classes));
        // p_i · (S p)_i / (2λn), with each P scaled by √(1/(2λn)).
        var ps = Tensor.FromArray(pScaled, n, classes);
        var softMean = Ops.Sum(Ops.Mul(Ops.Matmul(s, ps), ps), 1);
        yield return new LossTerm("tightness", tightness, LossTermKind.Element, anchors);
        yield return new LossTerm("contrastive", Ops.LogSumExp(logits, 1), LossTermKind.Element, anchors);
        yield return new LossTerm("soft-mean", softMean, LossTermKind.Element, anchors);
    }
}
