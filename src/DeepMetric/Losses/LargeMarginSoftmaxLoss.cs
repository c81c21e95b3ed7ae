using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// Large-margin softmax (L-Softmax) of Liu et al., "Large-Margin Softmax Loss for Convolutional Neural Networks"
/// (ICML 2016), and, with <c>normalizeWeights</c>, the A-Softmax of SphereFace (Liu et al., "SphereFace: Deep
/// Hypersphere Embedding for Face Recognition", CVPR 2017). The target logit ‖W_y‖‖x‖cos θ_y becomes
/// ‖W_y‖‖x‖ψ(θ_y) with the monotone extension ψ(θ) = (−1)ᵏ cos(mθ) − 2k for θ ∈ [kπ/m, (k+1)π/m]; the other
/// logits stay ‖W_c‖‖x‖cos θ_c = W_c·x. ℓᵢ = cross-entropy of s·logits.
/// </summary>
/// <remarks>
/// <para>cos(mθ) is the Chebyshev polynomial T_m(cos θ) (no acos in the differentiable path); k is a per-row constant.
/// Defaults: integer margin m = 4, s = 1, W [C, D] ~ N(0, 1), mean over the batch. The papers' training-time annealing
/// (blending with the plain softmax logit, (λ cos θ + ψ)/(1 + λ)) is not applied. Parameter: <c>weight</c>.</para>
/// </remarks>
public sealed class LargeMarginSoftmaxLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="margin">Integer angular multiplier m ≥ 1 (m = 1 is the plain softmax).</param>
    /// <param name="scale">s &gt; 0 multiplying all logits.</param>
    /// <param name="normalizeWeights">SphereFace's A-Softmax: class weights normalised to unit length.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public LargeMarginSoftmaxLoss(int numClasses, int embeddingSize, int margin = 4, float scale = 1f, bool normalizeWeights = false, ulong seed = 0,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "weight", NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        Margin = Guard.AtLeast(margin, 1);
        Scale = Guard.Positive(scale);
        NormalizeWeights = normalizeWeights;
    }

    /// <summary>The integer margin m.</summary>
    public int Margin { get; }

    /// <summary>The logit scale s.</summary>
    public float Scale { get; }

    /// <summary>Whether class weights are normalised (SphereFace).</summary>
    public bool NormalizeWeights { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        yield return ElementTerm("loss", LossPerRow(batch, Weight, WeightMatrix(batch), Margin, Scale, NormalizeWeights));
    }

    /// <summary>
    /// The L-Softmax / A-Softmax loss of each embedding, [N] (shared with <see cref="SphereFaceLoss"/>).
    /// </summary>
    /// <param name="batch">The validated batch.</param>
    /// <param name="weight">Class weights [C, D].</param>
    /// <param name="cos">Cosines between the batch and the class weights [N, C].</param>
    /// <param name="margin">Integer m ≥ 1.</param>
    /// <param name="scale">Logit scale s.</param>
    /// <param name="normalizeWeights">Use ‖W_c‖ = 1 (A-Softmax).</param>
    internal static Tensor LossPerRow(MetricBatch batch, Tensor weight, Tensor cos, int margin, float scale, bool normalizeWeights)
    {
        int n = batch.Count;
        var labels = batch.Labels;
        var xNorm = Ops.Sqrt(Ops.Sum(Ops.Mul(batch.Embeddings, batch.Embeddings), 1));
        var wNorm = normalizeWeights ? Tensor.Ones(weight.Dim(0)) : Ops.Sqrt(Ops.Sum(Ops.Mul(weight, weight), 1));
        var plain = Ops.Mul(Ops.Mul(cos, Ops.Reshape(xNorm, n, 1)), wNorm);
        var target = Ops.Gather2D(cos, Iota(n), labels);
        var psi = Psi(target, margin);
        var targetLogit = Ops.Mul(Ops.Mul(psi, xNorm), Ops.IndexSelect(wNorm, 0, labels));
        var logits = Ops.Mul(ReplaceTargets(plain, labels, targetLogit), scale);
        return CrossEntropyPerRow(logits, labels);
    }

    /// <summary>ψ(θ) = (−1)ᵏ T_m(cos θ) − 2k with k = ⌊mθ/π⌋ (constant per row).</summary>
    private static Tensor Psi(Tensor cos, int margin)
    {
        var c = cos.ReadOnlySpan;
        var sign = new float[c.Length];
        var shift = new float[c.Length];
        for (int i = 0; i < c.Length; i++)
        {
            double theta = Math.Acos(Math.Clamp((double)c[i], -1.0, 1.0));
            int k = Math.Min(margin - 1, (int)Math.Floor(theta * margin / Math.PI));
            sign[i] = (k & 1) == 0 ? 1f : -1f;
            shift[i] = -2f * k;
        }
        // T_0 = 1, T_1 = c, T_{j+1} = 2c·T_j − T_{j−1}.
        Tensor prev = Tensor.OnesLike(cos), cur = cos;
        for (int j = 1; j < margin; j++)
        {
            var next = Ops.Sub(Ops.Mul(Ops.Mul(cos, cur), 2f), prev);
            prev = cur;
            cur = next;
        }
        return Ops.Add(Ops.Mul(cur, Tensor.Wrap(sign, c.Length)), Tensor.Wrap(shift, c.Length));
    }
}
