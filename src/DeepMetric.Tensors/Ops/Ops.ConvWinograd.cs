using System.Runtime.CompilerServices;
namespace DeepMetric.Tensors;

public static partial class Ops
{
    // Upper bound on the floats of one chunk's transformed input and product ([16, C, T] + [16, O, T]).
    private const int WinogradBudget = 1 << 21;

    // Below this C·O the 16 GEMMs are too thin to beat im2col's one GEMM (tuned on the reference CNN's conv1).
    private const int WinogradMinChannelProduct = 64;

    private static bool UseWinograd(in ConvGeometry geo, int o) =>
        !Winograd.ForceIm2Col && Winograd.Applies(geo) && (Winograd.ForceWinograd || geo.C * o >= WinogradMinChannelProduct);

    /// <summary>
    /// 3×3, stride-1 convolution by Winograd F(2×2, 3×3); see <see cref="Winograd"/>. With <paramref name="pool"/> the
    /// result is the 2×2 max-pool of the convolution, each chunk's convolution pooled while it is still in cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Tensor Conv2dWinograd(Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, bool pool = false)
    {
        int n = x.Dims[0], c = geo.C, o = weight.Dims[0], p = geo.P, pq = p / 4;
        int tPer = Winograd.TilesH(geo) * Winograd.TilesW(geo);
        int chunk = WinogradChunk(n, c, o, tPer);
        var u = Scratch.Get(Scratch.WinogradU, Winograd.Xi * o * c);
        Winograd.TransformWeights(weight.ReadOnlySpan, o, c, u);
        var plane = Scratch.Get(Scratch.WinogradPlane, Winograd.PlaneScratch(geo));
        var y = TensorBuffers.Uninitialized(n * o * (pool ? pq : p));
        var winners = pool ? new PoolWinners(n * o * pq) : null;
        var xs = x.ReadOnlySpan;
        var bs = bias is null ? default : bias.ReadOnlySpan;
        for (int n0 = 0; n0 < n; n0 += chunk)
        {
            int b = Math.Min(chunk, n - n0), t = b * tPer;
            var v = Scratch.Get(Scratch.WinogradV, Winograd.Xi * c * t);
            var m = Scratch.Get(Scratch.WinogradM, Winograd.Xi * o * t);
            Winograd.TransformInput(xs.Slice(n0 * c * geo.PlaneIn, b * c * geo.PlaneIn), b, geo, v, plane);
            for (int xi = 0; xi < Winograd.Xi; xi++)
            {
                Gemm.Multiply(false, false, o, t, c, 1f, u.AsSpan(xi * o * c, o * c), c, v.AsSpan(xi * c * t, c * t), t,
                    0f, m.AsSpan(xi * o * t, o * t), t);
            }
            if (winners is null)
            {
                Winograd.TransformOutput(m, b, o, geo, bs, y.AsSpan(n0 * o * p, b * o * p));
            }
            else
            {
                // The chunk's convolution goes to a cache-resident buffer and is pooled at once.
                var conv = Scratch.Get(Scratch.ConvPoolChunk, b * o * p).AsSpan(0, b * o * p);
                Winograd.TransformOutput(m, b, o, geo, bs, conv);
                PoolKernels.MaxPool2x2Forward(conv, y.AsSpan(n0 * o * pq, b * o * pq), winners.Slice(n0 * o * pq, b * o * pq), b * o, geo.Ho, geo.Wo);
            }
        }
        int[] dims = winners is null ? [n, o, geo.Ho, geo.Wo] : [n, o, geo.Ho / 2, geo.Wo / 2];
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, dims, winners is null ? "Conv2d" : "Conv2dMaxPool2d", inputs,
            g => Conv2dWinogradBackward(g, x, weight, bias, geo, chunk, winners));
    }

    // winners: set when the forward pass pooled; g is then the pooled gradient, spread back per chunk.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Conv2dWinogradBackward(Tensor g, Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, int chunk, PoolWinners? winners)
    {
        int n = x.Dims[0], c = geo.C, o = weight.Dims[0], p = geo.P, pq = p / 4;
        var gs = g.ReadOnlySpan;
        bool needW = weight.RequiresGrad, needX = x.RequiresGrad, needB = bias is not null && bias.RequiresGrad;
        if (!needW && !needX)
        {
            // Each pooled gradient lands on exactly one convolution output, so the sums are the same.
            ConvBiasGradient(gs, n, o, winners is null ? p : pq, bias);
            return;
        }
        // The bias gradient is summed while dM is built from the same output gradient.
        Span<double> biasSum = needB ? new double[o] : default;
        int tPer = Winograd.TilesH(geo) * Winograd.TilesW(geo);
        float[]? u = null;
        if (needX)
        {
            u = Scratch.Get(Scratch.WinogradU, Winograd.Xi * o * c);
            Winograd.TransformWeights(weight.ReadOnlySpan, o, c, u);
        }
        var du = needW ? Scratch.Get(Scratch.WinogradDu, Winograd.Xi * o * c) : null;
        var dx = needX ? TensorBuffers.Uninitialized(x.Size) : null;
        var plane = Scratch.Get(Scratch.WinogradPlane, Winograd.PlaneScratch(geo));
        var xs = x.ReadOnlySpan;
        for (int n0 = 0; n0 < n; n0 += chunk)
        {
            int b = Math.Min(chunk, n - n0), t = b * tPer;
            var dm = Scratch.Get(Scratch.WinogradM, Winograd.Xi * o * t);
            var v = Scratch.Get(Scratch.WinogradV, Winograd.Xi * c * t);
            ReadOnlySpan<float> dy;
            if (winners is null)
            {
                dy = gs.Slice(n0 * o * p, b * o * p);
            }
            else
            {
                var spread = Scratch.Get(Scratch.ConvPoolChunk, b * o * p).AsSpan(0, b * o * p);
                PoolKernels.MaxPool2x2Backward(winners.Slice(n0 * o * pq, b * o * pq), gs.Slice(n0 * o * pq, b * o * pq), spread, b * o, geo.Ho, geo.Wo);
                dy = spread;
            }
            Winograd.OutputGradient(dy, b, o, geo, dm, biasSum);
            if (du is not null)
            {
                // V recomputed from the input: a chunk's V is small enough to stay in cache, while keeping every
                // chunk's V from the forward pass (4× the input) would go through memory.
                Winograd.TransformInput(xs.Slice(n0 * c * geo.PlaneIn, b * c * geo.PlaneIn), b, geo, v, plane);
            }
            // Per ξ, while dM_ξ is in cache: dU_ξ[O×C] += dM_ξ · V_ξᵀ, then dV_ξ[C×T] = U_ξᵀ · dM_ξ into V_ξ's place
            // (V_ξ is no longer needed), and at the end dV goes back onto the images.
            for (int xi = 0; xi < Winograd.Xi; xi++)
            {
                var dmXi = dm.AsSpan(xi * o * t, o * t);
                var vXi = v.AsSpan(xi * c * t, c * t);
                if (du is not null)
                {
                    Gemm.Multiply(false, true, o, c, t, 1f, dmXi, t, vXi, t, n0 == 0 ? 0f : 1f, du.AsSpan(xi * o * c, o * c), c);
                }
                if (u is not null)
                {
                    Gemm.Multiply(true, false, c, t, o, 1f, u.AsSpan(xi * o * c, o * c), c, dmXi, t, 0f, vXi, t);
                }
            }
            if (dx is not null)
            {
                Winograd.InputGradient(v, b, geo, dx.AsSpan(n0 * c * geo.PlaneIn, b * c * geo.PlaneIn), plane);
            }
        }
        if (du is not null)
        {
            var dw = TensorBuffers.Uninitialized(o * c * 9);
            Winograd.WeightGradient(du, o, c, dw);
            weight.AccumulateGrad(new Tensor(dw, (int[])weight.Dims.Clone()));
        }
        if (dx is not null)
        {
            x.AccumulateGrad(new Tensor(dx, (int[])x.Dims.Clone()));
        }
        if (needB)
        {
            var gb = TensorBuffers.Uninitialized(o);
            for (int oc = 0; oc < o; oc++)
            {
                gb[oc] = (float)biasSum[oc];
            }
            bias!.AccumulateGrad(new Tensor(gb, [o]));
        }
    }

    private static int WinogradChunk(int n, int c, int o, int tilesPerImage) =>
        (int)Math.Clamp(WinogradBudget / Math.Max(1L, (long)Winograd.Xi * (c + o) * tilesPerImage), 1, Math.Max(1, n));
}
