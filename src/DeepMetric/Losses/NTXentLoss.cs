using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The normalised-temperature cross-entropy loss of Chen, Kornblith, Norouzi &amp; Hinton, "A Simple Framework for
/// Contrastive Learning of Visual Representations" (SimCLR, ICML 2020), i.e. InfoNCE (van den Oord et al., 2018)
/// with labels: per positive pair (a, p),
/// ℓ_ap = −log( exp(s_ap/τ) / (exp(s_ap/τ) + Σ_{n∈N(a)} exp(s_an/τ)) ) = softplus(log Σ_{n∈N(a)} exp(s_an/τ) − s_ap/τ).
/// </summary>
/// <remarks>
/// Defaults: τ = 0.07, cosine similarity, <see cref="MeanReducer"/> over positive pairs. Written as a softplus of a
/// masked log-sum-exp, so τ = 0.01 cannot overflow; a pair whose anchor has no negative gives exactly 0.
/// With a distance, −d plays the role of s. Mined tuples choose the positive pairs and N(a).
/// As in pytorch-metric-learning 2.8.1, the mined tuples are taken as lists: triplets become one positive pair and
/// one negative pair each, and a negative pair listed k times (e.g. shared by k triplets of its anchor) counts k
/// times in the denominator; <c>distinctNegatives: true</c> counts each (anchor, negative) pair once (InfoNCE over
/// the set N(a)). Without mined tuples both are the same.
/// </remarks>
public sealed class NTXentLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">τ (&gt; 0).</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer over positive pairs (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="distinctNegatives">True: each mined (anchor, negative) pair counts once in the denominator; false (PML): once per time it is listed.</param>
    public NTXentLoss(float temperature = 0.07f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, bool distinctNegatives = false)
        : base(distance ?? new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Positive(temperature);
        Temperature = temperature;
        DistinctNegatives = distinctNegatives;
    }

    /// <summary>The temperature τ.</summary>
    public float Temperature { get; }

    /// <summary>Whether a mined negative pair listed several times counts once (instead of PML's once per listing).</summary>
    public bool DistinctNegatives { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var pairs = batch.Pairs();
        var (_, neg) = batch.Masks();
        var logits = Ops.Mul(LossRows.AsSimilarity(Distance, batch.Matrix(Distance)), 1f / Temperature);
        var negLogits = logits;
        if (!DistinctNegatives && batch.Tuples is not null)
        {
            // Σ_listed exp(l) = Σ_distinct k·exp(l) = Σ_distinct exp(l + log k).
            negLogits = Ops.Add(logits, LogCounts(pairs, logits.Dim(0), logits.Dim(1)));
        }
        // −∞ for anchors without negatives: softplus(−∞) = 0 with a zero gradient.
        var negLse = Ops.LogSumExp(negLogits, 1, mask: neg);
        var values = Ops.Softplus(Ops.Sub(Ops.IndexSelect(negLse, 0, pairs.PosAnchors), logits[pairs.PosAnchors, pairs.Positives]));
        yield return new LossTerm("loss", values, LossTermKind.PositivePair, pairs.PosAnchors);
    }

    /// <summary>log k for a negative pair listed k ≥ 1 times, 0 elsewhere (masked out there).</summary>
    private static Tensor LogCounts(PairTuples pairs, int rows, int cols)
    {
        var counts = new float[rows * cols];
        for (int k = 0; k < pairs.NegAnchors.Length; k++)
        {
            counts[(pairs.NegAnchors[k] * cols) + pairs.Negatives[k]] += 1f;
        }
        for (int k = 0; k < counts.Length; k++)
        {
            counts[k] = counts[k] > 0 ? MathF.Log(counts[k]) : 0f;
        }
        return Tensor.Wrap(counts, rows, cols);
    }
}
