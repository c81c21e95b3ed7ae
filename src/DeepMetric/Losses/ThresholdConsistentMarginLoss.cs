using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The threshold-consistent margin loss of Zhang et al., "Threshold-Consistent Margin Loss for Open-World Deep Metric
/// Learning" (ICLR 2024), as PyTorch Metric Learning 2.8.1 computes it: with cosine similarities of the positive pairs
/// s⁺ and negative pairs s⁻, L = λ⁺ · mean_{s⁺ ≤ m⁺}(m⁺ − s⁺) + λ⁻ · mean_{s⁻ ≥ m⁻}(s⁻ − m⁻), each mean over the pairs
/// that violate their margin (0 when none does).
/// </summary>
/// <remarks>
/// Pairs are the mined tuples (triplets give their two pairs) or all valid pairs. PML indexes the positives and
/// negatives in the batch even when a reference set is given; here a separate reference set is rejected instead.
/// Meant as a regulariser added to another loss. Defaults: λ⁺ = λ⁻ = 1, m⁺ = 0.9, m⁻ = 0.5, cosine similarity.
/// </remarks>
public sealed class ThresholdConsistentMarginLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="lambdaPlus">λ⁺ ≥ 0, the weight of the positive part.</param>
    /// <param name="lambdaMinus">λ⁻ ≥ 0, the weight of the negative part.</param>
    /// <param name="marginPlus">m⁺: positive pairs with similarity at most this are penalised.</param>
    /// <param name="marginMinus">m⁻: negative pairs with similarity at least this are penalised.</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public ThresholdConsistentMarginLoss(float lambdaPlus = 1f, float lambdaMinus = 1f, float marginPlus = 0.9f, float marginMinus = 0.5f,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(new CosineSimilarity(), new MeanReducer(), embeddingRegularizers)
    {
        Guard.NonNegative(lambdaPlus);
        Guard.NonNegative(lambdaMinus);
        Guard.Finite(marginPlus);
        Guard.Finite(marginMinus);
        LambdaPlus = lambdaPlus;
        LambdaMinus = lambdaMinus;
        MarginPlus = marginPlus;
        MarginMinus = marginMinus;
    }

    /// <summary>λ⁺.</summary>
    public float LambdaPlus { get; }

    /// <summary>λ⁻.</summary>
    public float LambdaMinus { get; }

    /// <summary>m⁺.</summary>
    public float MarginPlus { get; }

    /// <summary>m⁻.</summary>
    public float MarginMinus { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        if (!batch.SameSet)
        {
            throw new ArgumentException("ThresholdConsistentMarginLoss does not support a separate reference set.", "refEmbeddings");
        }
        var pairs = batch.Pairs();
        var s = batch.Matrix(Distance);
        var pos = s[pairs.PosAnchors, pairs.Positives];
        var neg = s[pairs.NegAnchors, pairs.Negatives];
        var posPart = ViolationMean(Ops.RSub(MarginPlus, pos), pos.ReadOnlySpan, v => v <= MarginPlus);
        var negPart = ViolationMean(Ops.Add(neg, -MarginMinus), neg.ReadOnlySpan, v => v >= MarginMinus);
        yield return new LossTerm("loss", Ops.Add(Ops.Mul(posPart, LambdaPlus), Ops.Mul(negPart, LambdaMinus)), LossTermKind.AlreadyReduced);
    }

    // Mean of the excesses over the violating pairs, 0 (with a zero gradient) when none violates.
    private static Tensor ViolationMean(Tensor excess, ReadOnlySpan<float> sims, Func<float, bool> violates)
    {
        var mask = new float[sims.Length];
        int count = 0;
        for (int i = 0; i < sims.Length; i++)
        {
            if (violates(sims[i]))
            {
                mask[i] = 1f;
                count++;
            }
        }
        var sum = Ops.Sum(Ops.Mul(excess, Tensor.Wrap(mask, sims.Length)));
        return Ops.Mul(sum, count == 0 ? 0f : 1f / count);
    }
}
