using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// Proxy-Anchor loss of Kim et al., "Proxy Anchor Loss for Deep Metric Learning" (CVPR 2020). Each class proxy p is an
/// anchor over the batch:
/// ℓ = 1/|P⁺| Σ_{p∈P⁺} log(1 + Σ_{x∈X⁺_p} e^{−α(s(x,p) − δ)}) + 1/|P| Σ_{p∈P} log(1 + Σ_{x∈X⁻_p} e^{α(s(x,p) + δ)}),
/// where P⁺ are the proxies with at least one positive in the batch, X⁺_p / X⁻_p the embeddings of / not of p's class.
/// </summary>
/// <remarks>
/// <para>Defaults (the paper's and PML's, with PML's argument order and names: <c>margin</c> = δ = 0.1, <c>alpha</c> = α = 32), cosine similarity, proxies [C, D] Kaiming-normal initialised
/// (fan-out), as the authors' code. The two parts are the terms "pos_loss" (one value per proxy in P⁺) and "neg_loss"
/// (one value per proxy) and the default <see cref="MeanReducer"/> gives exactly the averages above. log(1 + Σ e) is
/// evaluated as a masked log-sum-exp with an implicit zero, so α = 32 cannot overflow. With a distance d the
/// similarity is taken as −d.</para>
/// <para>Parameter: <c>proxies</c>.</para>
/// </remarks>
public sealed class ProxyAnchorLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="margin">δ, the margin (finite); PML's <c>margin</c>.</param>
    /// <param name="alpha">α &gt; 0, the scale.</param>
    /// <param name="seed">Seed of the proxy initialisation.</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public ProxyAnchorLoss(int numClasses, int embeddingSize, float margin = 0.1f, float alpha = 32f, ulong seed = 0, Distance? distance = null,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, "proxies",
            NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.KaimingNormal(t, rng, mode: FanMode.FanOut)),
            distance ?? new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        Guard.Positive(alpha);
        Guard.Finite(margin);
        Alpha = alpha;
        Margin = margin;
    }

    /// <summary>The scale α.</summary>
    public float Alpha { get; }

    /// <summary>The margin δ.</summary>
    public float Margin { get; }

    /// <summary>The proxies [C, D] (the same tensor as <see cref="WeightedClassifierLoss.Weight"/>).</summary>
    public Tensor Proxies => Weight;

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        int c = NumClasses, n = batch.Count;
        var labels = batch.Labels;
        // Proxy × batch similarities [C, N].
        var sim = Distance.Pairwise(Weight, batch.Embeddings);
        if (!Distance.IsInverted)
        {
            sim = Ops.Neg(sim);
        }
        var pos = new float[c * n];
        var neg = new float[c * n];
        var hasPositive = new bool[c];
        for (int j = 0; j < n; j++)
        {
            int y = labels[j];
            hasPositive[y] = true;
            for (int p = 0; p < c; p++)
            {
                (p == y ? pos : neg)[(p * n) + j] = 1f;
            }
        }
        var withPositives = new List<int>(c);
        for (int p = 0; p < c; p++)
        {
            if (hasPositive[p])
            {
                withPositives.Add(p);
            }
        }
        var posLse = Ops.LogSumExp(Ops.Mul(Ops.Add(sim, -Margin), -Alpha), 1, mask: Tensor.Wrap(pos, c, n), includeZero: true);
        var negLse = Ops.LogSumExp(Ops.Mul(Ops.Add(sim, Margin), Alpha), 1, mask: Tensor.Wrap(neg, c, n), includeZero: true);
        yield return new LossTerm("pos_loss", Ops.IndexSelect(posLse, 0, [.. withPositives]), LossTermKind.Element);
        yield return new LossTerm("neg_loss", negLse, LossTermKind.Element);
    }
}
