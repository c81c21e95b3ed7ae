using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// SoftTriple loss of Qian et al., "SoftTriple Loss: Deep Metric Learning Without Triplet Sampling" (ICCV 2019). Each
/// class c has K normalised centres w_c^k; the similarity of a normalised embedding x to class c is the soft maximum
/// over its centres, 𝒮ᵢ,c = Σ_k p_k x̂ᵢ·ŵ_c^k with p_k = softmax_k(x̂ᵢ·ŵ_c^k / γ), and
/// ℓᵢ = −log( e^{λ(𝒮ᵢ,yᵢ − δ)} / (e^{λ(𝒮ᵢ,yᵢ − δ)} + Σ_{c≠yᵢ} e^{λ𝒮ᵢ,c}) ).
/// The regulariser R = τ/(C·K·(K − 1)) · Σ_c Σ_{t&lt;s} ‖ŵ_c^s − ŵ_c^t‖₂ (an L2,1 norm over same-class centre
/// differences, added to the loss) pulls the centres of a class together so redundant ones merge (the paper's adaptive
/// number of centres).
/// </summary>
/// <remarks>
/// <para>Defaults (PyTorch Metric Learning's): K = 10, λ = 20, γ = 0.1, δ = 0.01, τ = 0 (the paper: 0.2), cosine similarity, centres [C·K, D] ~ N(0, 1)
/// (directions uniform on the sphere; row c·K + k is centre k of class c), mean over the batch.</para>
/// <para>Terms: "loss" (one value per embedding, reduced by the reducer) and, when K &gt; 1, "center_reg"
/// (<see cref="LossTermKind.AlreadyReduced"/>). The distance between two centres is evaluated as
/// √(‖ŵ_c^s − ŵ_c^t‖² + 10⁻⁵) so that coinciding centres get a zero, not NaN, gradient. The softmax over classes is a
/// log-sum-exp, so large λ cannot overflow. Parameter: <c>centers</c>.</para>
/// </remarks>
public sealed class SoftTripleLoss : WeightedClassifierLoss
{
    /// <summary>Added under the square root of the centre distances (keeps the gradient finite at distance 0).</summary>
    public const float RegularizerEpsilon = 1e-5f;

    private readonly int[] _regFirst;
    private readonly int[] _regSecond;

    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="centersPerClass">K ≥ 1 centres per class.</param>
    /// <param name="lambda">λ &gt; 0, the scale of the class similarities.</param>
    /// <param name="gamma">γ &gt; 0, the temperature of the soft assignment over a class's centres.</param>
    /// <param name="margin">δ ≥ 0, subtracted from the target similarity.</param>
    /// <param name="regularizerWeight">τ ≥ 0, the weight of the paper's centre regulariser (default 0: PyTorch Metric Learning adds none; the paper used 0.2).</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public SoftTripleLoss(int numClasses, int embeddingSize, int centersPerClass = 10, float lambda = 20f, float gamma = 0.1f,
        float margin = 0.01f, float regularizerWeight = 0f, ulong seed = 0, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "centers",
            NewMatrix(numClasses, Guard.AtLeast(centersPerClass, 1), embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        Lambda = Guard.Positive(lambda);
        Gamma = Guard.Positive(gamma);
        Guard.NonNegative(margin);
        Guard.NonNegative(regularizerWeight);
        CentersPerClass = centersPerClass;
        Margin = margin;
        RegularizerWeight = regularizerWeight;
        // All same-class centre pairs (t < s), fixed for the life of the loss.
        int k = centersPerClass, pairs = checked(numClasses * k * (k - 1) / 2), at = 0;
        _regFirst = new int[pairs];
        _regSecond = new int[pairs];
        for (int c = 0; c < numClasses; c++)
        {
            for (int t = 0; t < k; t++)
            {
                for (int s = t + 1; s < k; s++)
                {
                    _regFirst[at] = (c * k) + t;
                    _regSecond[at] = (c * k) + s;
                    at++;
                }
            }
        }
    }

    /// <summary>The number K of centres per class.</summary>
    public int CentersPerClass { get; }

    /// <summary>The scale λ.</summary>
    public float Lambda { get; }

    /// <summary>The temperature γ of the soft assignment over centres.</summary>
    public float Gamma { get; }

    /// <summary>The margin δ.</summary>
    public float Margin { get; }

    /// <summary>The weight τ of the centre regulariser.</summary>
    public float RegularizerWeight { get; }

    /// <summary>The centres [C·K, D] (the same tensor as <see cref="WeightedClassifierLoss.Weight"/>).</summary>
    public Tensor Centers => Weight;

    /// <summary>The [N, C] relaxed class similarities 𝒮 of a batch (e.g. for classification).</summary>
    public Tensor ClassSimilarities(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return ClassSimilarities(Distance.Pairwise(embeddings, Weight), embeddings.Dim(0));
    }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        var labels = batch.Labels;
        var sim = ClassSimilarities(WeightMatrix(batch), batch.Count);
        var target = Ops.Gather2D(sim, Iota(batch.Count), labels);
        var logits = Ops.Mul(ReplaceTargets(sim, labels, Ops.Add(target, -Margin)), Lambda);
        yield return ElementTerm("loss", CrossEntropyPerRow(logits, labels));
        if (_regFirst.Length > 0 && RegularizerWeight > 0f)
        {
            yield return new LossTerm("center_reg", CenterRegularizer(), LossTermKind.AlreadyReduced);
        }
    }

    private Tensor ClassSimilarities(Tensor rowSimilarities, int n)
    {
        var s = Ops.Reshape(rowSimilarities, n, NumClasses, CentersPerClass);
        if (CentersPerClass == 1)
        {
            return Ops.Reshape(s, n, NumClasses);
        }
        var p = Ops.Softmax(Ops.Mul(s, 1f / Gamma), 2);
        return Ops.Sum(Ops.Mul(p, s), 2);
    }

    private Tensor CenterRegularizer()
    {
        var w = Ops.L2Normalize(Weight, 1);
        var diff = Ops.Sub(Ops.IndexSelect(w, 0, _regFirst), Ops.IndexSelect(w, 0, _regSecond));
        var dist = Ops.Sqrt(Ops.Add(Ops.Sum(Ops.Mul(diff, diff), 1), RegularizerEpsilon));
        int k = CentersPerClass;
        return Ops.Mul(Ops.Sum(dist), (float)(RegularizerWeight / ((double)NumClasses * k * (k - 1))));
    }
}
