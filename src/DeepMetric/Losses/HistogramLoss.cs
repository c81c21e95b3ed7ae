using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The histogram loss of Ustinova &amp; Lempitsky, "Learning Deep Embeddings with Histogram Loss" (NeurIPS 2016): the
/// probability that a random negative pair is more similar than a random positive pair, estimated from soft
/// histograms of the positive and negative similarities. With R nodes t_r = −1 + (r − 1)Δ, Δ = 2/(R − 1), each
/// similarity s adds the linear-interpolation weight [1 − |s − t_r|/Δ]₊ to its two neighbouring nodes, h⁺ and h⁻
/// are the normalised histograms, and the loss is Σ_r h⁻_r · Φ⁺_r with Φ⁺_r = Σ_{q ≤ r} h⁺_q.
/// </summary>
/// <remarks>
/// The interpolation weights are differentiable, so the gradient flows through the soft histograms as in the paper.
/// The loss needs a similarity in [−1, 1] (<see cref="CosineSimilarity"/>, the default and the paper's choice);
/// other similarities are accepted, and values outside [−1, 1] only partly land on the end nodes.
/// Pairs come from the mined tuples or all valid pairs. A batch without positive or without negative pairs gives 0.
/// The result is already reduced (the reducer is not used). Defaults: R = 100 nodes.
/// </remarks>
public sealed class HistogramLoss : MetricLoss
{
    private readonly Tensor _nodes;
    private readonly Tensor _cumulative;

    /// <summary>Creates the loss.</summary>
    /// <param name="numBins">Number of histogram nodes R ≥ 2 over [−1, 1].</param>
    /// <param name="distance">A similarity (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <exception cref="ArgumentException"><paramref name="distance"/> is not a similarity.</exception>
    public HistogramLoss(int numBins = 100, Distance? distance = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new CosineSimilarity(), new MeanReducer(), embeddingRegularizers)
    {
        Guard.AtLeast(numBins, 2);
        if (!Distance.IsInverted)
        {
            throw new ArgumentException($"HistogramLoss needs a similarity in [-1, 1] (e.g. CosineSimilarity); {Distance.GetType().Name} is a distance.", nameof(distance));
        }
        NumBins = numBins;
        Delta = 2f / (numBins - 1);
        var nodes = new float[numBins];
        var upper = new float[numBins * numBins];
        for (int r = 0; r < numBins; r++)
        {
            nodes[r] = (float)(-1.0 + (2.0 * r / (numBins - 1)));
            for (int c = r; c < numBins; c++)
            {
                upper[(r * numBins) + c] = 1f;    // Φ_c = Σ_{r ≤ c} h_r
            }
        }
        _nodes = Tensor.Wrap(nodes, 1, numBins);
        _cumulative = Tensor.Wrap(upper, numBins, numBins);
    }

    /// <summary>Number of histogram nodes R.</summary>
    public int NumBins { get; }

    /// <summary>The node spacing Δ = 2/(R − 1).</summary>
    public float Delta { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var pairs = batch.Pairs();
        if (pairs.PosAnchors.Length == 0 || pairs.NegAnchors.Length == 0)
        {
            yield break;
        }
        var s = batch.Matrix(Distance);
        var hPos = Histogram(s[pairs.PosAnchors, pairs.Positives]);
        var hNeg = Histogram(s[pairs.NegAnchors, pairs.Negatives]);
        var cdfPos = Ops.Matmul(Ops.Unsqueeze(hPos, 0), _cumulative);                      // [1, R]
        var loss = Ops.Sum(Ops.Mul(Ops.Unsqueeze(hNeg, 0), cdfPos));
        yield return new LossTerm("histogram_loss", loss, LossTermKind.AlreadyReduced);
    }

    /// <summary>Normalised soft histogram [R] of the values [P] with triangular (linear-interpolation) kernels.</summary>
    private Tensor Histogram(Tensor values)
    {
        var dist = Ops.Abs(Ops.Sub(Ops.Unsqueeze(values, 1), _nodes));                       // [P, R]
        var weights = Ops.Relu(Ops.RSub(1f, Ops.Mul(dist, 1f / Delta)));
        return Ops.Mean(weights, 0);
    }
}
