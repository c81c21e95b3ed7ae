using System.Runtime.CompilerServices;
namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>
    /// The Winograd backward pass for images [<paramref name="start"/>, <paramref name="end"/>), each image band by band
    /// of <paramref name="bandRows"/> tile rows so that the band's dM, V and dV stay in L2: dM from the band's output
    /// gradient rows (with the bias sums), V recomputed from the band's input rows, then per ξ
    /// dU_ξ += dM_ξ · V_ξᵀ and dV_ξ = U_ξᵀ · dM_ξ, and dV scattered onto the band's input rows. Bands run top to
    /// bottom, so the two halo rows a band shares with the one above are completed in a fixed order (see
    /// <see cref="Winograd.InputGradient"/>): the input gradient has the bits of the whole-image path, and dU sums the
    /// bands in order, whatever the worker ranges.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WinogradBackwardBands(ReadOnlySpan<float> xs, ReadOnlySpan<float> gs, PoolWinners? winners, ConvGeometry geo, int o,
        float[]? u, float[]? duAll, int duAt, double[]? biasSum, float[]? dx, int start, int end, int bandRows)
    {
        int c = geo.C, p = geo.P, pq = p / 4, th = Winograd.TilesH(geo), tw = Winograd.TilesW(geo), tMax = bandRows * tw;
        var plane = Scratch.Get(Scratch.WinogradPlane, Winograd.PlaneScratch(geo));
        var dm = Scratch.Get(Scratch.WinogradM, Winograd.Xi * o * tMax);
        // V's slot also holds, after the 16 ξ, room for one ξ's V transposed to [T×C] per ξ range (see BandProducts).
        var v = Scratch.Get(Scratch.WinogradV, (Winograd.Xi + 2) * c * tMax);
        var bias = biasSum is null ? default : biasSum.AsSpan();
        bool first = true;
        for (int i = start; i < end; i++)
        {
            ReadOnlySpan<float> dy;
            if (winners is null)
            {
                dy = gs.Slice(i * o * p, o * p);
            }
            else
            {
                var spread = Scratch.Get(Scratch.ConvPoolChunk, o * p).AsSpan(0, o * p);
                PoolKernels.MaxPool2x2Backward(winners.Slice(i * o * pq, o * pq), gs.Slice(i * o * pq, o * pq), spread, o, geo.Ho, geo.Wo);
                dy = spread;
            }
            var image = xs.Slice(i * c * geo.PlaneIn, c * geo.PlaneIn);
            var dxImage = dx is null ? default : dx.AsSpan(i * c * geo.PlaneIn, c * geo.PlaneIn);
            for (int ti0 = 0; ti0 < th; ti0 += bandRows)
            {
                int ti1 = Math.Min(th, ti0 + bandRows), t = (ti1 - ti0) * tw;
                Winograd.OutputGradient(dy, 1, o, geo, dm, bias, ti0, ti1);
                if (duAll is not null)
                {
                    Winograd.TransformInput(image, 1, geo, v, plane, ti0, ti1);
                }
                float beta = first ? 0f : 1f;
                if (KernelThreads.WouldSplit(Winograd.Xi))
                {
                    // Fewer images than worker ranges (a small batch): the ξ are split over the ranges instead. Each
                    // product is the same whichever range runs it, so the bits do not depend on the split.
                    KernelThreads.For(Winograd.Xi, (r, xi0, xi1) => BandProducts(dm, v, (Winograd.Xi + r) * c * tMax, u, duAll, duAt, o, c, t, beta, xi0, xi1));
                }
                else
                {
                    BandProducts(dm, v, Winograd.Xi * c * tMax, u, duAll, duAt, o, c, t, beta, 0, Winograd.Xi);
                }
                if (dx is not null)
                {
                    Winograd.InputGradient(v, 1, geo, dxImage, plane, ti0, ti1);
                }
                first = false;
            }
        }
    }

    /// <summary>
    /// For ξ in [<paramref name="xi0"/>, <paramref name="xi1"/>) of a band: dU_ξ = β·dU_ξ + dM_ξ · V_ξᵀ (V_ξ first
    /// transposed to [T×C] at <paramref name="vtAt"/> in <paramref name="v"/>, so the product is a plain NN one: BLAS ran
    /// the NT form, whose second operand has its depth contiguous, at half the speed on these shapes), then
    /// dV_ξ = U_ξᵀ · dM_ξ into V_ξ's place.
    /// </summary>
    private static void BandProducts(float[] dm, float[] v, int vtAt, float[]? u, float[]? duAll, int duAt, int o, int c, int t, float beta, int xi0, int xi1)
    {
        var vt = v.AsSpan(vtAt, c * t);
        for (int xi = xi0; xi < xi1; xi++)
        {
            var dmXi = dm.AsSpan(xi * o * t, o * t);
            var vXi = v.AsSpan(xi * c * t, c * t);
            if (duAll is not null)
            {
                Winograd.Transpose(vXi, c, t, vt);
                Gemm.Multiply(false, false, o, c, t, 1f, dmXi, t, vt, c, beta, duAll.AsSpan(duAt + (xi * o * c), o * c), c);
            }
            if (u is not null)
            {
                Gemm.Multiply(true, false, c, t, o, 1f, u.AsSpan(xi * o * c, o * c), c, dmXi, t, 0f, vXi, t);
            }
        }
    }
}
