using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The F-statistic loss of Ridgeway &amp; Mozer, "Learning Deep Disentangled Embeddings with the F-Statistic Loss"
/// (NeurIPS 2018). For every pair of classes (a, b) in the batch and every embedding dimension k, a one-way ANOVA
/// of the two classes' values gives
/// <c>F = (SSB/1) / (SSW/ν)</c>, with between-class sum of squares <c>SSB = Σ_c n_c (μ_c − μ)²</c>, within-class sum
/// of squares <c>SSW = Σ_c Σ_{i∈c} (x_i − μ_c)²</c> and <c>ν = n_a + n_b − 2</c> degrees of freedom. The probability
/// that the two classes are separated along k is the CDF of the F(1, ν) distribution at F,
/// <c>p = I_x(1/2, ν/2)</c> with <c>x = F/(F + ν) = SSB/(SSB + SSW)</c> (the share of the variance between classes)
/// and I the regularized incomplete beta function. For each pair only the d′ best-separated dimensions (largest F,
/// i.e. largest x) are kept, and the loss is <c>−Σ_kept log p</c>, averaged over the class pairs.
/// </summary>
/// <remarks>
/// <para>x is clipped to [ε, 1 − ε] (default ε = 10⁻⁶) so log p stays finite when a dimension separates nothing
/// (x → 0, where ∂log p/∂x diverges) or perfectly (x → 1, including within-class variance 0); a clipped value passes
/// no gradient. The gradient of p is the beta density ∂I_x(a, b)/∂x = x^(a−1)(1 − x)^(b−1)/B(a, b); the choice of
/// the top d′ dimensions is treated as constant.</para>
/// <para>Batches must hold P classes × K samples with K ≥ 2 (as the paper's class-balanced sampling); a batch of one
/// class has no pair and gives 0. The loss reduces itself (<see cref="LossTermKind.AlreadyReduced"/>); it uses no
/// distance, no mined tuples and no separate reference set. Default d′ = 2.</para>
/// </remarks>
public sealed class FStatisticLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="keptDimensions">d′, the number of best-separated dimensions kept per class pair.</param>
    /// <param name="clipEpsilon">ε of the clipping of x to [ε, 1 − ε].</param>
    /// <param name="reducer">Reducer (the loss is already reduced; default <see cref="MeanReducer"/> passes it through).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public FStatisticLoss(int keptDimensions = 2, double clipEpsilon = 1e-6, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(new LpDistance(normalizeEmbeddings: false), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.AtLeast(keptDimensions, 1);
        Guard.InRange(clipEpsilon, 0, 0.5, minExclusive: true, maxExclusive: true);
        KeptDimensions = keptDimensions;
        ClipEpsilon = clipEpsilon;
    }

    /// <summary>d′, the number of dimensions kept per class pair (all of them when the embedding is smaller).</summary>
    public int KeptDimensions { get; }

    /// <summary>ε of the clipping of x = F/(F + ν) to [ε, 1 − ε].</summary>
    public double ClipEpsilon { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        if (!batch.SameSet)
        {
            throw new ArgumentException("FStatisticLoss compares the classes of the batch itself; a separate reference set is not supported.", "refEmbeddings");
        }
        if (batch.Tuples is not null)
        {
            throw new ArgumentException("FStatisticLoss uses whole classes, not mined tuples; pass tuples: null.", "tuples");
        }
        var (order, classes, perClass) = GroupByClass(batch.Labels);
        if (classes < 2)
        {
            yield return new LossTerm("f_stat_loss", batch.Zero(), LossTermKind.AlreadyReduced);
            yield break;
        }
        int dim = batch.Embeddings.Dim(1);
        // [P, K, D] with the samples of each class together.
        var grouped = Ops.Reshape(Ops.IndexSelect(batch.Embeddings, 0, order), classes, perClass, dim);
        var means = Ops.Mean(grouped, 1);
        var centered = Ops.Sub(grouped, Ops.Unsqueeze(means, 1));
        var within = Ops.Sum(Ops.Mul(centered, centered), 1);
        int pairs = classes * (classes - 1) / 2;
        int[] first = new int[pairs], second = new int[pairs];
        for (int a = 0, q = 0; a < classes; a++)
        {
            for (int b = a + 1; b < classes; b++, q++)
            {
                first[q] = a;
                second[q] = b;
            }
        }
        // Two groups of K: μ = (μ_a + μ_b)/2, so SSB = K(μ_a − μ)² + K(μ_b − μ)² = (K/2)(μ_a − μ_b)².
        var diff = Ops.Sub(Ops.IndexSelect(means, 0, first), Ops.IndexSelect(means, 0, second));
        var ssb = Ops.Mul(Ops.Mul(diff, diff), 0.5f * perClass);
        var ssw = Ops.Add(Ops.IndexSelect(within, 0, first), Ops.IndexSelect(within, 0, second));
        double nu = (2.0 * perClass) - 2.0;
        var value = FStatNegLogCdf.Compute(ssb, ssw, nu, Math.Min(KeptDimensions, dim), ClipEpsilon);
        yield return new LossTerm("f_stat_loss", value, LossTermKind.AlreadyReduced);
    }

    /// <summary>Batch indices grouped by class (first-appearance order), checking P classes × K samples with K ≥ 2.</summary>
    private static (int[] Order, int Classes, int PerClass) GroupByClass(int[] labels)
    {
        var members = new Dictionary<int, List<int>>();
        var classOrder = new List<int>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (!members.TryGetValue(labels[i], out var list))
            {
                list = [];
                members.Add(labels[i], list);
                classOrder.Add(labels[i]);
            }
            list.Add(i);
        }
        int k = labels.Length == 0 ? 0 : members[classOrder[0]].Count;
        foreach (int c in classOrder)
        {
            int count = members[c].Count;
            if (count != k || count < 2)
            {
                throw new ArgumentException(
                    $"FStatisticLoss needs a batch of P classes × K samples with K ≥ 2 (e.g. from an M-per-class sampler); class {c} has {count} samples and class {classOrder[0]} has {k}.",
                    "labels");
            }
        }
        var order = new int[labels.Length];
        int at = 0;
        foreach (int c in classOrder)
        {
            foreach (int i in members[c])
            {
                order[at++] = i;
            }
        }
        return (order, classOrder.Count, k);
    }
}
