using DeepMetric.Tensors;

namespace DeepMetric.Distances;

/// <summary>
/// Dot-product (inner-product) similarity x·y, larger is closer. Embeddings are L2-normalised first by default (then it
/// equals cosine similarity), as PyTorch Metric Learning's default; pass <c>normalizeEmbeddings: false</c> for the raw
/// inner product.
/// </summary>
public sealed class DotProductSimilarity : Distance
{
    /// <summary>Creates the dot-product similarity.</summary>
    /// <param name="normalizeEmbeddings">L2-normalise first (then it equals cosine similarity).</param>
    /// <param name="power">Raise each similarity to this power (1 = none).</param>
    public DotProductSimilarity(bool normalizeEmbeddings = true, float power = 1f) : base(normalizeEmbeddings, power, isInverted: true) { }

    /// <inheritdoc/>
    protected override Tensor ComputePairwise(Tensor query, Tensor reference, bool sameSet) =>
        Ops.Matmul(query, reference, transA: false, transB: true);

    /// <inheritdoc/>
    protected override Tensor ComputePaired(Tensor a, Tensor b) => Ops.Sum(Ops.Mul(a, b), 1);
}
