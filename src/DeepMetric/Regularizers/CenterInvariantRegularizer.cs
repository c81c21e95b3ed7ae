using DeepMetric.Tensors;

namespace DeepMetric.Regularizers;

/// <summary>
/// The center invariant loss (Wu, Liu, Huang &amp; Wang, "Deep Face Recognition with Center Invariant Loss", ACM MM
/// Workshops 2017): pushes every class centre to the same squared norm, so frequent classes do not get larger
/// weights. With r = (1/C) Σ_c ‖w_c‖², the penalty is (1/(4C)) Σ_c (‖w_c‖² − r)² (r is part of the function and
/// receives gradient). Default weight 1.
/// </summary>
public sealed class CenterInvariantRegularizer : WeightRegularizer
{
    /// <summary>Creates the regularizer.</summary>
    /// <param name="weight">Multiplier of the penalty.</param>
    public CenterInvariantRegularizer(float weight = 1f) : base(weight) { }

    /// <inheritdoc/>
    protected override Tensor Penalty(Tensor classWeights)
    {
        var sq = Ops.Sum(Ops.Mul(classWeights, classWeights), 1);    // ‖w_c‖², [C]
        var dev = Ops.Sub(sq, Ops.Mean(sq));
        return Ops.Mul(Ops.Mean(Ops.Mul(dev, dev)), 0.25f);
    }
}
