using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// Manifold loss of Aziere &amp; Todorovic, "Ensemble Deep Manifold Similarity Learning using Hard Proxies" (CVPR 2019),
/// in the form documented by PyTorch Metric Learning: embeddings are compared with K learnable proxies through the
/// manifold (random-walk) similarity of a graph over the batch and the proxies, not through their direct cosine.
/// </summary>
/// <remarks>
/// <para>With the N embeddings and the K proxies stacked as n = N + K nodes xⱼ:</para>
/// <para>S_ij = exp(max(cos(xᵢ, xⱼ), 0) / 0.5) for i ≠ j, S_ii = 0; D = diag(Σⱼ S_ij); S̄ = D^{−1/2} S D^{−1/2};
/// F = (1 − α)(I − α S̄)⁻¹ (n × n, the closed form of the random walk with restart).</para>
/// <para>Intrinsic term, with F_ik the affinity between embedding i and proxy k (column N + k) and c(i) the proxy
/// assigned to embedding i:
/// L_int = (1/N) Σᵢ log(1 + Σ_{k ≠ c(i)} exp([F_ik − F_{i,c(i)} + m]₊)).</para>
/// <para>Context term, the same form on the cosine between whole rows of F (the manifold-similarity profile of
/// embedding i against that of proxy k, row N + k):
/// L_ctx = (1/N) Σᵢ log(1 + Σ_{k ≠ c(i)} exp([cos(Fᵢ, F_{p_k}) − cos(Fᵢ, F_{p_c(i)}) + m]₊)).</para>
/// <para>L = L_int + λ_C · L_ctx.</para>
/// <para>As PyTorch Metric Learning documents (and implements), only violating terms, those with
/// F_ik − F_{i,c(i)} + m &gt; 0, enter the inner sums: a satisfied proxy contributes nothing (not e⁰ = 1), so a batch
/// whose every assignment is respected by more than the margin has loss 0. The loss therefore jumps by
/// log(1 + 1/(1 + Σ)) when a term crosses the margin; its gradient is that of the terms inside.</para>
/// <para>Defaults (the paper's and PyTorch Metric Learning's): α = 0.8, margin m = 5·10⁻⁴, λ_C = 1, temperature 0.5
/// in S, cosine similarity (fixed by the formula), proxies [K, D] ~ N(0, 1) from a seeded generator, and
/// <see cref="MeanReducer"/> over the per-embedding values (the 1/N above). PyTorch Metric Learning's default is
/// K = 50 proxies (<see cref="DefaultNumProxies"/>); here K is a required constructor argument because the batches and
/// class counts this library trains on are usually much smaller.</para>
/// <para>Labels are proxy assignments c(i) in [0, K), not necessarily class ids. When the labels are class ids and
/// K is the number of classes, each class is its own proxy. Mined tuples are ignored and a separate reference set is
/// rejected. The loss inverts an (N + K) × (N + K) matrix per call (well conditioned: the eigenvalues of I − αS̄ lie in
/// [1 − α, 1 + α]), so its cost grows as (N + K)³.</para>
/// <para>Parameter: <c>proxies</c>.</para>
/// </remarks>
public sealed class ManifoldLoss : WeightedClassifierLoss
{
    /// <summary>PyTorch Metric Learning's default number of proxies.</summary>
    public const int DefaultNumProxies = 50;

    /// <summary>The temperature of the similarity graph, S_ij = exp(max(cos, 0) / 0.5).</summary>
    private const float GraphTemperature = 0.5f;

    /// <summary>Creates the loss.</summary>
    /// <param name="numProxies">Number of proxies K ≥ 1 (labels must be in [0, K)); see <see cref="DefaultNumProxies"/>.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="lambdaC">Weight λ_C ≥ 0 of the context term (0 keeps only the intrinsic term).</param>
    /// <param name="alpha">Random-walk parameter α in (0, 1).</param>
    /// <param name="margin">Margin m ≥ 0.</param>
    /// <param name="seed">Seed of the proxy initialisation.</param>
    /// <param name="reducer">Reducer of the per-embedding values (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the proxies (see <see cref="IHasClassWeights"/>).</param>
    public ManifoldLoss(int numProxies, int embeddingSize, float lambdaC = 1f, float alpha = 0.8f, float margin = 5e-4f, ulong seed = 0,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numProxies, embeddingSize, "proxies", NewMatrix(numProxies, 1, embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        LambdaC = Guard.NonNegative(lambdaC);
        Alpha = Guard.InRange(alpha, 0f, 1f, minExclusive: true, maxExclusive: true);
        Margin = Guard.NonNegative(margin);
    }

    /// <summary>The number of proxies K.</summary>
    public int NumProxies => NumClasses;

    /// <summary>The weight λ_C of the context term.</summary>
    public float LambdaC { get; }

    /// <summary>The random-walk parameter α.</summary>
    public float Alpha { get; }

    /// <summary>The margin m.</summary>
    public float Margin { get; }

    /// <summary>The proxies [K, D] (the same tensor as <see cref="WeightedClassifierLoss.Weight"/>).</summary>
    public Tensor Proxies => Weight;

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        int count = batch.Count, k = NumProxies, n = count + k;
        var labels = batch.Labels;
        var rows = Iota(count);

        // The similarity graph over embeddings and proxies, with a zero diagonal, and its symmetric normalisation.
        var nodes = Ops.Concat([batch.Embeddings, Proxies], 0);
        var cos = Distance.Pairwise(nodes);
        var offDiagonal = new float[n * n];
        var identity = new float[n * n];
        Array.Fill(offDiagonal, 1f);
        for (int i = 0; i < n; i++)
        {
            offDiagonal[(i * n) + i] = 0f;
            identity[(i * n) + i] = 1f;
        }
        var s = Ops.Mul(Ops.Exp(Ops.Mul(Ops.Relu(cos), 1f / GraphTemperature)), Tensor.Wrap(offDiagonal, n, n));
        // Every off-diagonal entry is ≥ e⁰ = 1 and n ≥ 2, so the degrees are ≥ 1 and D^{−1/2} is finite.
        var invSqrtDegree = Ops.Pow(Ops.Sum(s, 1), -0.5f);
        var sBar = Ops.Mul(Ops.Mul(s, Ops.Reshape(invSqrtDegree, n, 1)), Ops.Reshape(invSqrtDegree, 1, n));
        var f = Ops.Mul(Ops.Inverse(Ops.Sub(Tensor.Wrap(identity, n, n), Ops.Mul(sBar, Alpha))), 1f - Alpha);

        // Intrinsic: affinities of each embedding to the proxies (the last K columns of its row).
        var embeddingRows = Ops.Slice(f, 0, 0, count);
        var affinity = Ops.Slice(embeddingRows, 1, count, k);
        yield return ElementTerm("intrinsic", HardProxyTerm(affinity, labels, rows));

        if (LambdaC > 0f)
        {
            // Context: cosine between the whole manifold-similarity rows of embeddings and proxies.
            var unit = Ops.L2Normalize(f, 1);
            var profile = Ops.Matmul(Ops.Slice(unit, 0, 0, count), Ops.Slice(unit, 0, count, k), transA: false, transB: true);
            var context = HardProxyTerm(profile, labels, rows);
            yield return ElementTerm("context", LambdaC == 1f ? context : Ops.Mul(context, LambdaC));
        }
    }

    /// <summary>
    /// log(1 + Σ_{k ≠ c(i), v_ik &gt; 0} exp(v_ik)) per row, with v_ik = sim_ik − sim_{i,c(i)} + m: only the proxies
    /// that violate the margin enter the sum.
    /// </summary>
    private Tensor HardProxyTerm(Tensor similarity, int[] labels, int[] rows)
    {
        int count = similarity.Dim(0), k = similarity.Dim(1);
        var own = Ops.Reshape(Ops.Gather2D(similarity, rows, labels), count, 1);
        var violation = Ops.Add(Ops.Sub(similarity, own), Margin);
        var v = violation.ReadOnlySpan;
        var mask = new float[count * k];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < k; j++)
            {
                int at = (i * k) + j;
                mask[at] = j != labels[i] && v[at] > 0f ? 1f : 0f;
            }
        }
        return Ops.LogSumExp(violation, 1, mask: Tensor.Wrap(mask, count, k), includeZero: true);
    }
}
