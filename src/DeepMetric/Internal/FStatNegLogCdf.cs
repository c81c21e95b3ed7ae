using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Autograd;
using DeepMetric.Tensors.Special;

namespace DeepMetric.Internal;

/// <summary>
/// The scalar op of <see cref="FStatisticLoss"/>: from between- and within-class sums of squares [Q, D] (Q class
/// pairs) it returns (1/Q) Σ_q Σ_{k ∈ top d′ of q} −log I_{x_qk}(1/2, ν/2) with x = SSB/(SSB + SSW) clipped to
/// [ε, 1 − ε], and back-propagates through the beta density in closed form.
/// </summary>
internal static class FStatNegLogCdf
{
    public static Tensor Compute(Tensor ssb, Tensor ssw, double nu, int kept, double eps)
    {
        int pairs = ssb.Dim(0), dim = ssb.Dim(1);
        double a = 0.5, b = nu / 2.0;
        var sb = ssb.ReadOnlySpan;
        var sw = ssw.ReadOnlySpan;
        // Per kept entry: its flat index and ∂(−log p)/∂SSB, ∂(−log p)/∂SSW (0 where x was clipped).
        var keptIndex = new int[pairs * kept];
        var dBetween = new double[pairs * kept];
        var dWithin = new double[pairs * kept];
        var x = new double[dim];
        var rank = new int[dim];
        double total = 0;
        for (int q = 0; q < pairs; q++)
        {
            for (int k = 0; k < dim; k++)
            {
                double between = sb[(q * dim) + k], t = between + sw[(q * dim) + k];
                // 0/0 (no variance at all) separates nothing.
                x[k] = t > 0 ? between / t : 0;
                rank[k] = k;
            }
            // Largest x first, ties by dimension index, so the choice is deterministic.
            Array.Sort(rank, (i, j) => x[i] != x[j] ? x[j].CompareTo(x[i]) : i.CompareTo(j));
            for (int r = 0; r < kept; r++)
            {
                int k = rank[r];
                double xc = Math.Clamp(x[k], eps, 1 - eps);
                double p = SpecialFunctions.RegularizedIncompleteBeta(xc, a, b);
                total -= Math.Log(p);
                keptIndex[(q * kept) + r] = (q * dim) + k;
                if (xc == x[k])
                {
                    // x = SSB/(SSB + SSW): ∂x/∂SSB = SSW/T², ∂x/∂SSW = −SSB/T² (T > 0 since x > 0).
                    double between = sb[(q * dim) + k], within = sw[(q * dim) + k], t = between + within;
                    double dx = -SpecialFunctions.IncompleteBetaDerivative(xc, a, b) / p / (t * t);
                    dBetween[(q * kept) + r] = dx * within;
                    dWithin[(q * kept) + r] = -dx * between;
                }
            }
        }
        float scale = 1f / pairs;
        return CustomOp.Create("FStatNegLogCdf", [(float)(total * scale)], [], [ssb, ssw], g =>
        {
            float go = g.ReadOnlySpan[0] * scale;
            var gb = new float[pairs * dim];
            var gw = new float[pairs * dim];
            for (int e = 0; e < keptIndex.Length; e++)
            {
                int i = keptIndex[e];
                gb[i] = (float)(go * dBetween[e]);
                gw[i] = (float)(go * dWithin[e]);
            }
            return [Tensor.Wrap(gb, pairs, dim), Tensor.Wrap(gw, pairs, dim)];
        });
    }
}
