using DeepMetric.Tensors;

namespace DeepMetric.Distances;

/// <summary>Cosine similarity x·y / (‖x‖‖y‖): a similarity in [−1, 1], larger is closer.</summary>
public sealed class CosineSimilarity : Distance
{
    /// <summary>Creates the cosine similarity (embeddings are always normalised).</summary>
    /// <param name="power">Raise each similarity to this power (1 = none).</param>
    public CosineSimilarity(float power = 1f) : base(normalizeEmbeddings: true, power, isInverted: true) { }

    internal override bool ComputesSameAs(Distance other) => other is CosineSimilarity o && o.Power.Equals(Power);

    /// <inheritdoc/>
    protected override Tensor ComputePairwise(Tensor query, Tensor reference, bool sameSet) =>
        Ops.Matmul(query, reference, transA: false, transB: true);

    /// <inheritdoc/>
    protected override Tensor ComputePaired(Tensor a, Tensor b) => Ops.Sum(Ops.Mul(a, b), 1);
}
