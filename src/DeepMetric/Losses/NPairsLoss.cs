using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The multi-class N-pair loss of Sohn, "Improved Deep Metric Learning with Multi-class N-pair Loss Objective"
/// (NeurIPS 2016). From a batch of N pairs {(xᵢ, xᵢ⁺)} of N distinct classes, each anchor xᵢ is classified
/// among the N positives by a softmax over similarities:
/// L = (1/N) Σᵢ log(1 + Σ_{j≠i} exp(fᵢ·fⱼ⁺ − fᵢ·fᵢ⁺)) = (1/N) Σᵢ −log softmaxⱼ(fᵢ·fⱼ⁺)[i].
/// </summary>
/// <remarks>
/// The pairs are taken from the positive pairs of the batch (or the mined ones) in order, keeping the first pair
/// of each class: with all pairs, the first sample of a class is its anchor and the next sample its positive.
/// Classes with a single sample contribute no anchor, and their samples are not used as negatives either.
/// Defaults (PyTorch Metric Learning's): <see cref="DotProductSimilarity"/> on L2-normalised embeddings, <see cref="MeanReducer"/>;
/// the paper's unnormalised inner product is <c>distance: new DotProductSimilarity(normalizeEmbeddings: false)</c>.
/// The paper regularises the embedding norms by λ·(1/N)Σ‖f‖²; set <c>l2Regularization</c> = λ &gt; 0 to add an
/// <see cref="LpRegularizer"/> (p = 2, power 2, weight λ). A separate reference set is not meaningful for the
/// N-pair construction and is rejected.
/// </remarks>
public sealed class NPairsLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="l2Regularization">λ of the paper's squared-L2 embedding regulariser (0 = none).</param>
    /// <param name="distance">Similarity (default <see cref="DotProductSimilarity"/>, normalised); distances are negated into logits.</param>
    /// <param name="reducer">Reducer over anchors (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Further embedding regularizers.</param>
    public NPairsLoss(float l2Regularization = 0f, Distance? distance = null, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new DotProductSimilarity(), reducer ?? new MeanReducer(), WithL2(l2Regularization, embeddingRegularizers))
    {
        L2Regularization = l2Regularization;
    }

    /// <summary>λ of the squared-L2 embedding regulariser (0 = none).</summary>
    public float L2Regularization { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        if (!batch.SameSet)
        {
            throw new ArgumentException("NPairsLoss builds its N pairs inside the batch and does not accept a separate reference set (refEmbeddings).", "refEmbeddings");
        }
        var pairs = batch.Pairs();
        var seen = new HashSet<int>();
        List<int> anchors = [], positives = [];
        for (int k = 0; k < pairs.PosAnchors.Length; k++)
        {
            int a = pairs.PosAnchors[k];
            if (seen.Add(batch.Labels[a]))
            {
                anchors.Add(a);
                positives.Add(pairs.Positives[k]);
            }
        }
        int n = anchors.Count;
        if (n == 0)
        {
            yield return new LossTerm("loss", batch.Zero(), LossTermKind.AlreadyReduced);
            yield break;
        }
        int[] a0 = [.. anchors], p0 = [.. positives];
        var fa = Ops.IndexSelect(batch.Embeddings, 0, a0);
        var fp = Ops.IndexSelect(batch.Embeddings, 0, p0);
        var logits = LossRows.AsSimilarity(Distance, Distance.Pairwise(fa, fp));
        var diag = Enumerable.Range(0, n).ToArray();
        var values = Ops.Neg(Ops.Gather2D(Ops.LogSoftmax(logits, 1), diag, diag));
        yield return new LossTerm("loss", values, LossTermKind.Element, a0);
    }

    private static IEnumerable<EmbeddingRegularizer>? WithL2(float l2Regularization, IEnumerable<EmbeddingRegularizer>? others)
    {
        Guard.NonNegative(l2Regularization);
        if (l2Regularization == 0)
        {
            return others;
        }
        return [.. others ?? [], new LpRegularizer(p: 2f, power: 2f, weight: l2Regularization)];
    }
}
