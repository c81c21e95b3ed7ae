using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Reporting;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// The CDF-based dynamic soft margin loss of Zhang &amp; Rusinkiewicz, "Learning Local Descriptors With a CDF-Based
/// Dynamic Soft Margin" (ICCV 2019): L = (1/T) Σ_t F̂(Δ_t)·Δ_t over triplets, with Δ_t = d(a, p) − d(a, n) and F̂ the
/// running empirical CDF of Δ. Triplets that are badly ordered (large Δ) get weights near 1, already well separated
/// ones weights near 0, so the margin adapts to the current distribution instead of being a fixed constant.
/// </summary>
/// <remarks>
/// <para>
/// As in pytorch-metric-learning 2.8.1: F̂ comes from a histogram of <see cref="NumBins"/> equal bins of width
/// w = 2|minVal|/B over [minVal, −minVal], kept as the buffer "histogram". Each Δ with u = (Δ − minVal)/w, bin ⌊u⌋ and
/// fraction α = u − ⌊u⌋ adds 1 − α to its bin and α to the next one (soft binning). In training mode the update is
/// ĥ ← normalise((1 − η)ĥ + η·c) with c the batch's soft counts (not normalised, as PML does; the first batch gives
/// ĥ = c/T), and F̂(Δ) = Σ_{b ≤ ⌊u⌋} ĥ_b. The gradient flows through the batch's share of F̂ (through α), as in PML;
/// <c>detachWeights: true</c> makes F̂ a constant of the step (the paper), and <c>normalizeBatchHistogram: true</c>
/// mixes the normalised batch histogram with weight η (so η means what the paper says whatever the batch size).
/// </para>
/// <para>
/// Out of range (where PML raises an index error): Δ below minVal counts in the first bin, Δ at or above −minVal in
/// the last, and the share α of the last bin stays in it. In evaluation mode the stored histogram is used without
/// update (the batch histogram while none is stored); PML updates in both modes. With a similarity
/// Δ = s(a, n) − s(a, p). Triplets come from the mined tuples or all valid triplets. With a reducer other than the
/// mean, the gradient through F̂ assumes the mean. Defaults: minVal = −2, 10 bins, η = 0.01, Euclidean distance on
/// normalised embeddings, mean over triplets.
/// </para>
/// </remarks>
public sealed class DynamicSoftMarginLoss : PairwiseMetricLoss
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
    /// <param name="detachWeights">True: the CDF weights are constants of the step (the paper); false (PML): the gradient flows through the batch's share of the histogram.</param>
    /// <param name="normalizeBatchHistogram">True: the batch histogram is normalised before it is mixed in with weight η; false (PML): its raw soft counts are mixed in, then the sum is normalised.</param>
    public DynamicSoftMarginLoss(float minVal = -2f, int numBins = 10, float momentum = 0.01f, Distance? distance = null,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, bool detachWeights = false,
        bool normalizeBatchHistogram = false)
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
        DetachWeights = detachWeights;
        NormalizeBatchHistogram = normalizeBatchHistogram;
        _histogram = RegisterBuffer("histogram", Tensor.Zeros(numBins));
    }

    /// <summary>Lower end of the histogram range.</summary>
    public float MinVal { get; }

    /// <summary>Number of histogram bins.</summary>
    public int NumBins { get; }

    /// <summary>Momentum η of the histogram update.</summary>
    public float Momentum { get; }

    /// <summary>Whether the CDF weights are constants of the step (the paper) instead of PML's differentiable ones.</summary>
    public bool DetachWeights { get; }

    /// <summary>Whether the batch histogram is normalised before it is mixed in (instead of PML's raw counts).</summary>
    public bool NormalizeBatchHistogram { get; }

    /// <summary>The running histogram (a normalised PDF over the bins; all zero before the first training batch).</summary>
    public Tensor Histogram => _histogram;

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var t = batch.Triplets();
        var d = batch.Matrix(Distance);
        var delta = Ops.Neg(Distance.Separation(d[t.Anchors, t.Positives], d[t.Anchors, t.Negatives]));   // [T]
        var values = delta.ReadOnlySpan;
        int count = values.Length;
        if (count == 0)
        {
            yield return new LossTerm("dynamic_soft_margin_loss", delta, LossTermKind.Triplet, t.Anchors);
            yield break;
        }
        double width = -2.0 * MinVal / NumBins;
        var bins = new int[count];
        var alphas = new double[count];
        var counts = new double[NumBins];
        for (int k = 0; k < count; k++)
        {
            double u = (values[k] - MinVal) / width;
            double floor = Math.Floor(u);
            if (floor < 0)
            {
                (bins[k], alphas[k]) = (0, 0);
            }
            else if (floor >= NumBins)
            {
                (bins[k], alphas[k]) = (NumBins - 1, 0);
            }
            else
            {
                (bins[k], alphas[k]) = ((int)floor, u - floor);
            }
            counts[bins[k]] += 1 - alphas[k];
            counts[Math.Min(bins[k] + 1, NumBins - 1)] += alphas[k];
        }
        var (hist, batchScale) = CurrentHistogram(counts, count);
        var cdf = new double[NumBins];
        double acc = 0;
        for (int b = 0; b < NumBins; b++)
        {
            acc += hist[b];
            cdf[b] = acc;
        }
        var weights = new float[count];
        for (int k = 0; k < count; k++)
        {
            weights[k] = (float)cdf[bins[k]];
        }
        var loss = Ops.Mul(delta, Tensor.Wrap(weights, weights.Length));
        if (!DetachWeights && batchScale != 0)
        {
            loss = Ops.Add(loss, CdfGradient(delta, values, bins, batchScale / width));
        }
        yield return new LossTerm("dynamic_soft_margin_loss", loss, LossTermKind.Triplet, t.Anchors);
    }

    /// <summary>
    /// A term whose value is 0 and whose gradient (under the mean over T triplets) is that of F̂'s batch share:
    /// F̂(Δ_k) depends on the α_j of the triplets in Δ_k's bin through −(scale)·Σ_j α_j (the shares 1 − α_j and α_j
    /// sit on both sides of the bin edge), so ∂/∂Δ_k of (1/T)Σ_j F̂(Δ_j)Δ_j gains −(scale/T)·Σ_{j in k's bin} Δ_j.
    /// A triplet in the last bin (or out of range) keeps both shares in that bin and gains nothing.
    /// </summary>
    private Tensor CdfGradient(Tensor delta, ReadOnlySpan<float> values, int[] bins, double scale)
    {
        int count = bins.Length;
        var binSums = new double[NumBins];
        for (int k = 0; k < count; k++)
        {
            binSums[bins[k]] += values[k];
        }
        var coefficients = new float[count];
        for (int k = 0; k < count; k++)
        {
            double u = (values[k] - MinVal) * NumBins / (-2.0 * MinVal);
            bool moves = u >= 0 && u < NumBins - 1;
            coefficients[k] = moves ? (float)(-scale * binSums[bins[k]]) : 0f;
        }
        // Per-triplet coefficient × (Δ − Δ.detach): zero value, gradient T·(coefficient)/T under the mean.
        return Ops.Mul(Tensor.Wrap(coefficients, count), Ops.Sub(delta, delta.Detach()));
    }

    /// <summary>Updates the running histogram in training mode and returns the one to weight with and the factor of the batch's soft counts in it.</summary>
    private (double[] Histogram, double BatchScale) CurrentHistogram(double[] counts, int count)
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
        if (!IsTraining && _initialized)
        {
            for (int b = 0; b < NumBins; b++)
            {
                result[b] = stored[b];
            }
            return (result, 0);
        }
        double eta = _initialized ? Momentum : 1.0;
        double countScale = NormalizeBatchHistogram ? eta / count : eta;
        double total = 0;
        for (int b = 0; b < NumBins; b++)
        {
            result[b] = (_initialized ? (1 - eta) * stored[b] : 0) + (countScale * counts[b]);
            total += result[b];
        }
        for (int b = 0; b < NumBins; b++)
        {
            result[b] /= total;
        }
        if (IsTraining)
        {
            for (int b = 0; b < NumBins; b++)
            {
                stored[b] = (float)result[b];
            }
            _initialized = true;
        }
        return (result, countScale / total);
    }
}
