using DeepMetric.Tensors;

namespace DeepMetric.Distances;

/// <summary>
/// The signal-to-noise-ratio distance of Yuan et al., "Signal-to-Noise Ratio: A Robust Distance Metric for Deep
/// Metric Learning" (CVPR 2019): d(a, r) = Var(r − a) / Var(a), the noise variance over the anchor's signal
/// variance. Not symmetric. Embeddings are L2-normalised first by default (PyTorch Metric Learning's default).
/// </summary>
public sealed class SnrDistance : Distance
{
    /// <summary>Creates the SNR distance.</summary>
    /// <param name="normalizeEmbeddings">L2-normalise first.</param>
    /// <param name="power">Raise each distance to this power (1 = none).</param>
    public SnrDistance(bool normalizeEmbeddings = true, float power = 1f) : base(normalizeEmbeddings, power, isInverted: false) { }

    // Below this anchor variance the ratio is undefined; the floor keeps gradients finite for constant embeddings.
    private const float VarianceFloor = 1e-12f;

    /// <inheritdoc/>
    protected override Tensor ComputePairwise(Tensor query, Tensor reference, bool sameSet)
    {
        // Var(r − a)·D = ‖c_r − c_a‖² with c the row-centred embeddings; Var(a)·D = ‖c_a‖².
        var cq = Ops.Sub(query, Ops.Mean(query, 1, keepDim: true));
        var cr = sameSet ? cq : Ops.Sub(reference, Ops.Mean(reference, 1, keepDim: true));
        var noise = LpDistance.SquaredEuclidean(cq, cr);                                   // [N,M]
        var signal = Ops.Clamp(Ops.Sum(Ops.Mul(cq, cq), 1, keepDim: true), min: VarianceFloor); // [N,1]
        return Ops.Div(noise, signal);
    }

    /// <inheritdoc/>
    protected override Tensor ComputePaired(Tensor a, Tensor b)
    {
        var ca = Ops.Sub(a, Ops.Mean(a, 1, keepDim: true));
        var cb = Ops.Sub(b, Ops.Mean(b, 1, keepDim: true));
        var diff = Ops.Sub(cb, ca);
        var noise = Ops.Sum(Ops.Mul(diff, diff), 1);
        var signal = Ops.Clamp(Ops.Sum(Ops.Mul(ca, ca), 1), min: VarianceFloor);
        return Ops.Div(noise, signal);
    }
}
