using DeepMetric.Tensors;

namespace DeepMetric.Regularizers;

/// <summary>
/// Keeps each row's components centred at zero by penalising |Σ_d w_{c,d}|, averaged over rows — the zero-mean
/// constraint of the SNR distance (Yuan, Chen, Wang, Mao &amp; Feng, "Signal-to-Noise Ratio: A Robust Distance Metric
/// for Deep Metric Learning", CVPR 2019, Eq. 7, with the absolute value as in PyTorch Metric Learning's
/// ZeroMeanRegularizer). Applied here to a loss's class-weight matrix [C, D]. Default weight 1.
/// </summary>
public sealed class ZeroMeanRegularizer : WeightRegularizer
{
    /// <summary>Creates the regularizer.</summary>
    /// <param name="weight">Multiplier of the penalty.</param>
    public ZeroMeanRegularizer(float weight = 1f) : base(weight) { }

    /// <inheritdoc/>
    protected override Tensor Penalty(Tensor classWeights) => Ops.Mean(Ops.Abs(Ops.Sum(classWeights, 1)));
}
