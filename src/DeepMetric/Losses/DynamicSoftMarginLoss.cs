using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The CDF-based dynamic soft margin loss of Zhang &amp; Rusinkiewicz, "Learning Local Descriptors With a CDF-Based
/// Dynamic Soft Margin" (ICCV 2019): L = (1/T) Σ_t F̂(Δ_t)·Δ_t over triplets, with Δ_t = d(a, p) − d(a, n) and F̂ the
/// running empirical CDF of Δ. Triplets that are badly ordered (large Δ) get weights near 1, already well separated
/// ones weights near 0, so the margin adapts to the current distribution instead of being a fixed constant.
/// </summary>
/// <remarks>
/// F̂ is estimated with a histogram of <see cref="NumBins"/> equal bins over [minVal, −minVal] (Δ outside falls into
/// the end bins), kept as the buffer "histogram" (a normalised PDF) and updated by momentum η in training mode:
/// ĥ ← (1 − η)ĥ + η·h_batch (the first batch initialises ĥ = h_batch). F̂(Δ) = Σ_{b ≤ bin(Δ)} ĥ_b is a detached weight.
/// In evaluation mode the stored histogram is used without update (the batch histogram while none is stored).
/// With a similarity Δ = s(a, n) − s(a, p). Triplets come from the mined tuples or all valid triplets.
/// Defaults: minVal = −2, 10 bins, η = 0.01, Euclidean distance on normalised embeddings, mean over triplets.
/// </remarks>
public sealed class DynamicSoftMarginLoss : MetricLoss
{
    private readonly Tensor _histogram;
    private bool _initialized;

    /// <summary>Creates the loss.</summary>
    /// <param name="minVal">Lower end of the histogram range (&lt; 0); the range is [minVal, −minVal].</param>
    /// <param name="numBins">Number of histogram bins (≥ 1).</param>
    /// <param name="momentum">Momentum η in (0, 1] of the histogram update.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>, L2, normalised).</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public DynamicSoftMarginLoss(float minVal = -2f, int numBins = 10, float momentum = 0.01f, Distance? distance = null,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new LpDistance(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        if (!(minVal < 0) || float.IsInfinity(minVal))
        {
            throw new ArgumentOutOfRangeException(nameof(minVal), minVal, "minVal must be a finite number < 0.");
        }
        Guard.AtLeast(numBins, 1);
        Guard.InRange(momentum, 0, 1, minExclusive: true);
        MinVal = minVal;
        NumBins = numBins;
        Momentum = momentum;
        _histogram = RegisterBuffer("histogram", Tensor.Zeros(numBins));
    }

    /// <summary>Lower end of the histogram range.</summary>
    public float MinVal { get; }

    /// <summary>Number of histogram bins.</summary>
    public int NumBins { get; }

    /// <summary>Momentum η of the histogram update.</summary>
    public float Momentum { get; }

    /// <summary>The running histogram (a normalised PDF over the bins; all zero before the first training batch).</summary>
    public Tensor Histogram => _histogram;

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var t = batch.Triplets();
        var d = batch.Matrix(Distance);
        var delta = Ops.Neg(Distance.Separation(d[t.Anchors, t.Positives], d[t.Anchors, t.Negatives]));   // [T]
        var values = delta.ReadOnlySpan;
        var weights = new float[values.Length];
        if (values.Length > 0)
        {
            var bins = new int[values.Length];
            var batchHist = new double[NumBins];
            for (int k = 0; k < values.Length; k++)
            {
                bins[k] = Bin(values[k]);
                batchHist[bins[k]] += 1.0 / values.Length;
            }
            var hist = CurrentHistogram(batchHist);
            var cdf = new double[NumBins];
            double acc = 0;
            for (int b = 0; b < NumBins; b++)
            {
                acc += hist[b];
                cdf[b] = acc;
            }
            for (int k = 0; k < values.Length; k++)
            {
                weights[k] = (float)cdf[bins[k]];
            }
        }
        var loss = Ops.Mul(delta, Tensor.Wrap(weights, weights.Length));
        yield return new LossTerm("dynamic_soft_margin_loss", loss, LossTermKind.Triplet, t.Anchors);
    }

    private int Bin(float value)
    {
        double width = -2.0 * MinVal / NumBins;
        int b = (int)Math.Floor((value - MinVal) / width);
        return Math.Clamp(b, 0, NumBins - 1);
    }

    /// <summary>Updates the running histogram in training mode and returns the one to weight with.</summary>
    private double[] CurrentHistogram(double[] batchHist)
    {
        var stored = _histogram.Span;
        var result = new double[NumBins];
        if (!_initialized)
        {
            // A loaded checkpoint counts as initialised.
            for (int b = 0; b < NumBins; b++)
            {
                _initialized |= stored[b] != 0;
            }
        }
        if (!IsTraining)
        {
            for (int b = 0; b < NumBins; b++)
            {
                result[b] = _initialized ? stored[b] : batchHist[b];
            }
            return result;
        }
        for (int b = 0; b < NumBins; b++)
        {
            result[b] = _initialized ? ((1 - Momentum) * stored[b]) + (Momentum * batchHist[b]) : batchHist[b];
            stored[b] = (float)result[b];
        }
        _initialized = true;
        return result;
    }
}
