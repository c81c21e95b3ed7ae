using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Reporting;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The histogram loss of Ustinova &amp; Lempitsky, "Learning Deep Embeddings with Histogram Loss" (NeurIPS 2016): the
/// probability that a random negative pair is more similar than a random positive pair, estimated from soft
/// histograms of the positive and negative similarities. With B bins of width Δ = 2/B over [−1, 1] and the B + 1
/// nodes t_r = −1 + rΔ, each similarity s adds the linear-interpolation weight [1 − |s − t_r|/Δ]₊ to its two
/// neighbouring nodes, h⁺ and h⁻ are the normalised histograms, and the loss is Σ_r h⁻_r · Φ⁺_r with Φ⁺_r = Σ_{q ≤ r} h⁺_q.
/// </summary>
/// <remarks>
/// As in pytorch-metric-learning 2.8.1 (<c>HistogramLoss(n_bins)</c>): <c>nBins</c> counts bins, so there are
/// B + 1 nodes; the pairs are the unordered pairs of the triplets (from the mined tuples or all valid triplets), each
/// counted once, so a negative pair between two samples that both lack a positive is not used.
/// The interpolation weights are differentiable, so the gradient flows through the soft histograms as in the paper.
/// The loss needs a similarity in [−1, 1] (<see cref="CosineSimilarity"/>, the default and the paper's choice);
/// values outside [−1, 1] only partly land on the end nodes (PML raises an index error for a similarity of exactly 1).
/// A batch without triplets gives 0. The result is already reduced (the reducer is not used). Default: 100 bins.
/// </remarks>
public sealed class HistogramLoss : PairwiseMetricLoss
{
    private readonly Tensor _nodes;
    private readonly Tensor _cumulative;

    /// <summary>Creates the loss.</summary>
    /// <param name="nBins">Number of bins B ≥ 1 over [−1, 1] (B + 1 nodes, Δ = 2/B), PML's <c>n_bins</c>.</param>
    /// <param name="distance">A similarity (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <exception cref="ArgumentException"><paramref name="distance"/> is not a similarity.</exception>
    public HistogramLoss(int nBins = 100, Distance? distance = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new CosineSimilarity(), new MeanReducer(), embeddingRegularizers)
    {
        Guard.AtLeast(nBins, 1);
        if (!Distance.IsInverted)
        {
            throw new ArgumentException($"HistogramLoss needs a similarity in [-1, 1] (e.g. CosineSimilarity); {Distance.GetType().Name} is a distance.", nameof(distance));
        }
        NumBins = nBins;
        Delta = 2f / nBins;
        int nodesCount = nBins + 1;
        var nodes = new float[nodesCount];
        var upper = new float[nodesCount * nodesCount];
        for (int r = 0; r < nodesCount; r++)
        {
            nodes[r] = (float)(-1.0 + (2.0 * r / nBins));
            for (int c = r; c < nodesCount; c++)
            {
                upper[(r * nodesCount) + c] = 1f;    // Φ_c = Σ_{r ≤ c} h_r
            }
        }
        _nodes = Tensor.Wrap(nodes, 1, nodesCount);
        _cumulative = Tensor.Wrap(upper, nodesCount, nodesCount);
    }

    /// <summary>Number of histogram bins B (there are B + 1 nodes).</summary>
    public int NumBins { get; }

    /// <summary>The bin width Δ = 2/B.</summary>
    public float Delta { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var t = batch.Triplets();
        if (t.Count == 0)
        {
            yield break;
        }
        var (posA, posB) = UniquePairs(t.Anchors, t.Positives, batch.SameSet);
        var (negA, negB) = UniquePairs(t.Anchors, t.Negatives, batch.SameSet);
        var s = batch.Matrix(Distance);
        var hPos = Histogram(s[posA, posB]);
        var hNeg = Histogram(s[negA, negB]);
        var cdfPos = Ops.Matmul(Ops.Unsqueeze(hPos, 0), _cumulative);                      // [1, R]
        var loss = Ops.Sum(Ops.Mul(Ops.Unsqueeze(hNeg, 0), cdfPos));
        yield return new LossTerm("histogram_loss", loss, LossTermKind.AlreadyReduced);
    }

    /// <summary>The distinct pairs of the triplets' (anchor, other) columns; unordered within one set, as PML sorts each pair.</summary>
    private static (int[] First, int[] Second) UniquePairs(int[] anchors, int[] others, bool sameSet)
    {
        var seen = new HashSet<long>();
        var first = new List<int>();
        var second = new List<int>();
        for (int k = 0; k < anchors.Length; k++)
        {
            int a = anchors[k], b = others[k];
            if (sameSet && b < a)
            {
                (a, b) = (b, a);
            }
            if (seen.Add(((long)a << 32) | (uint)b))
            {
                first.Add(a);
                second.Add(b);
            }
        }
        return (first.ToArray(), second.ToArray());
    }

    /// <summary>Normalised soft histogram [B + 1] of the values [P] with triangular (linear-interpolation) kernels.</summary>
    private Tensor Histogram(Tensor values)
    {
        var dist = Ops.Abs(Ops.Sub(Ops.Unsqueeze(values, 1), _nodes));                       // [P, R]
        var weights = Ops.Relu(Ops.RSub(1f, Ops.Mul(dist, 1f / Delta)));
        return Ops.Mean(weights, 0);
    }
}
