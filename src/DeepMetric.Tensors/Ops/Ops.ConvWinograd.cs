using System.Runtime.CompilerServices;
namespace DeepMetric.Tensors;

public static partial class Ops
{
    // A chunk's transformed input and product ([16, C, T] + [16, O, T]) should fit in this share of the core's L2:
    // the 16 GEMMs and the output transform then read them from cache. Measured on the reference CNN's conv2
    // (Xeon, 2 MiB L2): 4 images a chunk (1.2 MB) took 5.2 ms forward and 12 ms backward per core, 16 images 7–8 and
    // 17–19 ms, 32 images 9 and 18 ms.
    private static readonly long s_winogradBudget = (long)(CpuCaches.L2Bytes * 0.6) / sizeof(float);

    // Below this C·O the 16 GEMMs are too thin to beat im2col's one GEMM (tuned on the reference CNN's conv1).
    private const int WinogradMinChannelProduct = 64;

    // Below this output side the 2×2 tiles waste too much (7×7 pads to 8×8) and the 16 GEMMs are too small: ResNet's
    // 512-channel 7×7 layers ran at 0.46 (forward) and 0.38 (backward) of SGEMM by Winograd, where im2col's one
    // [512, 4608]·[4608, 49·B] product runs near SGEMM.
    private const int WinogradMinSide = 8;

    private static bool UseWinograd(in ConvGeometry geo, int o) =>
        !Winograd.ForceIm2Col && Winograd.Applies(geo)
        && (Winograd.ForceWinograd || (geo.C * o >= WinogradMinChannelProduct && Math.Min(geo.Ho, geo.Wo) >= WinogradMinSide));

    /// <summary>
    /// 3×3, stride-1 convolution by Winograd F(2×2, 3×3) (see <see cref="Winograd"/>), or F(4×4, 3×3) (see
    /// <see cref="WinogradF4"/>) where <see cref="UseWinogradF4"/> says so. With <paramref name="pool"/> the result is the
    /// 2×2 max-pool of the convolution by F(2×2, 3×3), each chunk's convolution pooled while it is still in cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Tensor Conv2dWinograd(Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, bool pool = false, ConvEpilogue? epilogue = null,
        bool relu = false)
    {
        int n = x.Dims[0], c = geo.C, o = weight.Dims[0], p = geo.P, pq = p / 4;
        bool f4 = !pool && UseWinogradF4(geo, o, n);
        int xiCount = WinoXi(f4);
        int tPer = WinoTilesH(geo, f4) * WinoTilesW(geo, f4);
        int chunk = WinogradChunk(n, c, o, tPer, f4);
        float[] u;
        if (epilogue is not null || !Autograd.NoGradScope.GradEnabled || !weight.RequiresGrad)
        {
            // Weights not being trained (inference, frozen layers): their U from the cache while they are unchanged.
            u = WinogradWeightCache.Transformed(weight, o, c, f4);
        }
        else
        {
            u = Scratch.Get(Scratch.WinogradU, xiCount * o * c);
            if (f4)
            {
                WinogradF4.TransformWeights(weight.ReadOnlySpan, o, c, u);
            }
            else
            {
                Winograd.TransformWeights(weight.ReadOnlySpan, o, c, u);
            }
        }
        // What the backward pass needs: F(4×4, 3×3) forwards record the backward of the path they replace.
        Action<Tensor> backward = f4 ? BackwardAfterF4Forward(x, weight, bias, geo) : g => Conv2dWinogradBackward(g, x, weight, bias, geo, chunk, null);
        int bandRows = pool ? 0 : WinogradBandRows(geo, c, o, f4);
        if (!pool && (bandRows > 0 || ByChannels(n, o)))
        {
            var yc = bandRows > 0 ? WinogradBanded(x, bias, geo, o, u, bandRows, ByChannels(n, o), epilogue, f4) : WinogradByChannels(x, bias, geo, o, u, epilogue, f4);
            if (epilogue is not null)
            {
                return new Tensor(yc, [n, o, geo.Ho, geo.Wo]);
            }
            Tensor[] args = bias is null ? [x, weight] : [x, weight, bias];
            return Tensor.Record(yc, [n, o, geo.Ho, geo.Wo], "Conv2d", args, backward);
        }
        var y = TensorBuffers.Uninitialized(n * o * (pool ? pq : p));
        var winners = pool ? new PoolWinners(n * o * pq) : null;
        // Images are independent: each worker range transforms, multiplies and transforms back its own images in
        // cache-sized chunks (the GEMMs single-threaded inside the range), sharing only the transformed weights U.
        KernelThreads.For(n, (_, start, end) =>
        {
            var plane = Scratch.Get(Scratch.WinogradPlane, WinoPlaneScratch(geo, f4));
            var xs = x.ReadOnlySpan;
            var bs = bias is null ? default : bias.ReadOnlySpan;
            int step = EvenChunk(end - start, chunk);
            for (int n0 = start; n0 < end; n0 += step)
            {
                int b = Math.Min(step, end - n0), t = b * tPer;
                var v = Scratch.Get(Scratch.WinogradV, xiCount * c * t);
                var m = Scratch.Get(Scratch.WinogradM, xiCount * o * t);
                WinoTransformInput(f4, xs.Slice(n0 * c * geo.PlaneIn, b * c * geo.PlaneIn), b, geo, v, plane);
                for (int xi = 0; xi < xiCount; xi++)
                {
                    Gemm.Multiply(false, false, o, t, c, 1f, u.AsSpan(xi * o * c, o * c), c, v.AsSpan(xi * c * t, c * t), t,
                        0f, m.AsSpan(xi * o * t, o * t), t);
                }
                if (winners is null)
                {
                    WinoTransformOutput(f4, m, b, o, geo, bs, y.AsSpan(n0 * o * p, b * o * p));
                    epilogue?.Apply(y.AsSpan(n0 * o * p, b * o * p), n0, n0, b, o, p);
                }
                else
                {
                    // The chunk's convolution goes to a cache-resident buffer and is pooled at once.
                    var conv = Scratch.Get(Scratch.ConvPoolChunk, b * o * p).AsSpan(0, b * o * p);
                    Winograd.TransformOutput(m, b, o, geo, bs, conv);
                    PoolKernels.MaxPool2x2Forward(conv, y.AsSpan(n0 * o * pq, b * o * pq), winners.Slice(n0 * o * pq, b * o * pq), b * o, geo.Ho, geo.Wo);
                    if (relu)
                    {
                        ReluOnPooled(y.AsSpan(n0 * o * pq, b * o * pq), winners.Slice(n0 * o * pq, b * o * pq));
                    }
                }
            }
        });
        int[] dims = winners is null ? [n, o, geo.Ho, geo.Wo] : [n, o, geo.Ho / 2, geo.Wo / 2];
        if (epilogue is not null)
        {
            return new Tensor(y, dims);
        }
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, dims, winners is null ? "Conv2d" : relu ? "Conv2dMaxPool2dRelu" : "Conv2dMaxPool2d", inputs,
            winners is null ? backward : g => Conv2dWinogradBackward(g, x, weight, bias, geo, chunk, winners));
    }

    // winners: set when the forward pass pooled; g is then the pooled gradient, spread back per chunk.
    /// <summary>
    /// Winograd convolution of a small batch with the output channels split over the worker ranges, image by image:
    /// each range transforms the image itself (a small share of the work) and runs the 16 (or 36) products for its rows of U.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] WinogradByChannels(Tensor x, Tensor? bias, ConvGeometry geo, int o, float[] u, ConvEpilogue? epilogue, bool f4)
    {
        int n = x.Dims[0], c = geo.C, p = geo.P, t = WinoTilesH(geo, f4) * WinoTilesW(geo, f4), xiCount = WinoXi(f4);
        var y = TensorBuffers.Uninitialized(n * o * p);
        KernelThreads.For(o, (_, o0, o1) =>
        {
            int oc = o1 - o0;
            var plane = Scratch.Get(Scratch.WinogradPlane, WinoPlaneScratch(geo, f4));
            var v = Scratch.Get(Scratch.WinogradV, xiCount * c * t);
            var m = Scratch.Get(Scratch.WinogradM, xiCount * oc * t);
            var xs = x.ReadOnlySpan;
            var bs = bias is null ? default : bias.ReadOnlySpan.Slice(o0, oc);
            for (int i = 0; i < n; i++)
            {
                WinoTransformInput(f4, xs.Slice(i * c * geo.PlaneIn, c * geo.PlaneIn), 1, geo, v, plane);
                for (int xi = 0; xi < xiCount; xi++)
                {
                    Gemm.Multiply(false, false, oc, t, c, 1f, u.AsSpan((xi * o * c) + (o0 * c), oc * c), c, v.AsSpan(xi * c * t, c * t), t,
                        0f, m.AsSpan(xi * oc * t, oc * t), t);
                }
                WinoTransformOutput(f4, m, 1, oc, geo, bs, y.AsSpan(((i * o) + o0) * p, oc * p));
                epilogue?.ApplyChannels(y, i, o, o0, o1, p);
            }
        });
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Conv2dWinogradBackward(Tensor g, Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, int chunk, PoolWinners? winners)
    {
        if (winners is null && UseWinogradF4Backward(geo, weight.Dims[0], x.Dims[0]))
        {
            // F(4×4, 3×3): 36 products per 16 outputs instead of 16 per 4. Pooled calls keep F(2×2, 3×3), whose chunks
            // spread the pooled gradient.
            Conv2dWinogradF4Backward(g, x, weight, bias, geo);
            return;
        }
        int n = x.Dims[0], c = geo.C, o = weight.Dims[0], p = geo.P, pq = p / 4;
        var gs = g.ReadOnlySpan;
        bool needW = weight.RequiresGrad, needX = x.RequiresGrad, needB = bias is not null && bias.RequiresGrad;
        if (!needW && !needX)
        {
            // Each pooled gradient lands on exactly one convolution output, so the sums are the same.
            ConvBiasGradient(winners is null ? gs : PassedPooledGradient(gs, winners), n, o, winners is null ? p : pq, bias);
            return;
        }
        int tPer = Winograd.TilesH(geo) * Winograd.TilesW(geo);
        float[]? u = null;
        if (needX)
        {
            u = Scratch.Get(Scratch.WinogradU, Winograd.Xi * o * c);
            Winograd.TransformWeights(weight.ReadOnlySpan, o, c, u);
        }
        var dx = needX ? TensorBuffers.Uninitialized(x.Size) : null;
        // Each worker range handles its own images and keeps its own dU and bias sums; they are added in range order
        // afterwards, so the result does not depend on whether the ranges ran in parallel.
        int ranges = KernelThreads.Ranges(n);
        // One dU per range, in the calling thread's scratch (range r writes only its slice).
        int duLen = Winograd.Xi * o * c;
        var duAll = needW ? Scratch.Get(Scratch.WinogradDu, ranges * duLen) : null;
        var biasParts = needB ? new double[ranges][] : null;
        // Images too large for the cache budget go band by band of tile rows (ResNet's 64-channel layers at 56×56).
        int bandRows = WinogradBandRows(geo, c, o);
        KernelThreads.For(n, (r, start, end) =>
        {
            var du = duAll is null ? default : duAll.AsSpan(r * duLen, duLen);
            if (end == start)
            {
                du.Clear(); // an empty batch: the chunk loop below never sets dU
            }
            var biasSum = needB ? new double[o] : null;
            if (bandRows > 0)
            {
                WinogradBackwardBands(x.ReadOnlySpan, g.ReadOnlySpan, winners, geo, o, u, duAll, r * duLen, biasSum, dx, start, end, bandRows);
                if (biasParts is not null)
                {
                    biasParts[r] = biasSum!;
                }
                return;
            }
            var plane = Scratch.Get(Scratch.WinogradPlane, Winograd.PlaneScratch(geo));
            var xs = x.ReadOnlySpan;
            var gp = g.ReadOnlySpan;
            int step = EvenChunk(end - start, chunk);
            for (int n0 = start; n0 < end; n0 += step)
            {
                int b = Math.Min(step, end - n0), t = b * tPer;
                var dm = Scratch.Get(Scratch.WinogradM, Winograd.Xi * o * t);
                var v = Scratch.Get(Scratch.WinogradV, Winograd.Xi * c * t);
                ReadOnlySpan<float> dy;
                if (winners is null)
                {
                    dy = gp.Slice(n0 * o * p, b * o * p);
                }
                else
                {
                    var spread = Scratch.Get(Scratch.ConvPoolChunk, b * o * p).AsSpan(0, b * o * p);
                    PoolKernels.MaxPool2x2Backward(winners.Slice(n0 * o * pq, b * o * pq), gp.Slice(n0 * o * pq, b * o * pq), spread, b * o, geo.Ho, geo.Wo);
                    dy = spread;
                }
                // The bias gradient is summed while dM is built from the same output gradient.
                Winograd.OutputGradient(dy, b, o, geo, dm, biasSum);
                if (!du.IsEmpty)
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
                    if (!du.IsEmpty)
                    {
                        Gemm.Multiply(false, true, o, c, t, 1f, dmXi, t, vXi, t, n0 == start ? 0f : 1f, du.Slice(xi * o * c, o * c), c);
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
            if (biasParts is not null)
            {
                biasParts[r] = biasSum!;
            }
        });
        if (duAll is not null)
        {
            var du = duAll.AsSpan(0, duLen);
            for (int r = 1; r < ranges; r++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(du, duAll.AsSpan(r * duLen, duLen), du);
            }
            var dw = TensorBuffers.Uninitialized(o * c * 9);
            Winograd.WeightGradient(du, o, c, dw);
            weight.AccumulateGrad(new Tensor(dw, (int[])weight.Dims.Clone()));
        }
        AccumulateWinogradGrads(x, dx, bias, biasParts);
    }

    // The input gradient (a fresh buffer, handed over so a second consumer of x adds into it instead of copying it) and
    // the bias gradient, the ranges' double sums added in range order: the same bits for any split.
    private static void AccumulateWinogradGrads(Tensor x, float[]? dx, Tensor? bias, double[][]? biasParts)
    {
        if (dx is not null)
        {
            x.AccumulateGrad(new Tensor(dx, (int[])x.Dims.Clone()), owned: true);
        }
        if (biasParts is not null)
        {
            int o = biasParts[0].Length;
            var gb = TensorBuffers.Uninitialized(o);
            for (int oc = 0; oc < o; oc++)
            {
                double sum = 0;
                foreach (var part in biasParts)
                {
                    sum += part[oc];
                }
                gb[oc] = (float)sum;
            }
            bias!.AccumulateGrad(new Tensor(gb, [o]));
        }
    }

    // The same number of chunks of at most `chunk` images, but of even sizes (64 images in chunks of 27 → 22, 21, 21).
    private static int EvenChunk(int count, int chunk)
    {
        int pieces = Math.Max(1, (count + chunk - 1) / chunk);
        return Math.Max(1, (count + pieces - 1) / pieces);
    }

    private static int WinogradChunk(int n, int c, int o, int tilesPerImage, bool f4 = false)
    {
        long budget = s_winogradBudget / Math.Max(1L, (long)WinoXi(f4) * (c + o) * tilesPerImage);
        if (f4)
        {
            // F(4×4, 3×3)'s U (36·O·C) is read once per chunk, and for 256 or 512 channels it is far larger than L2: chunks
            // of at least WinogradF4MinColumns tiles, even when their V and M spill out of L2, read it fewer times and
            // give the 36 GEMMs enough columns.
            budget = Math.Max(budget, (WinogradF4MinColumns + tilesPerImage - 1) / tilesPerImage);
        }
        return (int)Math.Clamp(budget, 1, Math.Max(1, n));
    }
}
