using System.Runtime.CompilerServices;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    // The 36 GEMMs of a unit (a chunk of images or a band of one image) take its tiles as their columns (dV) and depth
    // (dU): a unit gathers at least this many tiles even when its transformed data then outgrows the L2 budget. Measured
    // per core on ResNet-18 at batch 32 (Xeon, 2 MiB L2), units that fit the budget won: 128 channels at 28×28 took
    // 52 ms a batch by single images (49 tiles) against 56–81 by 2–8 images, 64 at 56×56 62–65 ms in bands of 3–7 tile
    // rows against 73 by whole images.
    private const int WinogradF4MinUnitTiles = 48;

    // Below this C·O the backward keeps F(2×2, 3×3) (thin GEMMs). It also keeps F(2×2, 3×3) where F(4×4, 3×3)'s
    // tiles waste so much that it saves less than 40% of the GEMM flops: 14×14 pads to 16×16 (0.73 of F(2×2, 3×3)'s
    // products), where on ResNet-18's 256-channel layers (batch 32, one core, 6 interleaved pairs) F(4×4, 3×3) took
    // 0.99× F(2×2, 3×3)'s time (median; 0.75–1.34): the larger transforms eat the saving. 56, 28 and 7 pad alike for
    // both (0.56); there F(4×4, 3×3) took 0.74× (64@56), 0.77× (128@28) and 0.79× (512@7, against im2col).
    private const int WinogradF4BackwardMinChannelProduct = 64 * 64;

    // And at least this many tiles a batch (as the forward's rule): small batches keep F(2×2, 3×3) or im2col, whose
    // smaller U and dU are read and written once per unit.
    private const int WinogradF4BackwardMinTiles = 128;

    /// <summary>
    /// True when the backward pass of a (not pooled) 3×3 stride-1 convolution runs by F(4×4, 3×3): by shape only
    /// (never by timing), unless DEEPMETRIC_WINOGRAD=f2 or <see cref="WinogradF4.ForceF2"/> keeps F(2×2, 3×3), or
    /// <see cref="WinogradF4Backward.Force"/> asks for it whatever the shape.
    /// </summary>
    private static bool UseWinogradF4Backward(in ConvGeometry geo, int o, int n) =>
        WinogradF4.Enabled && !WinogradF4.ForceF2 && WinogradF4.Applies(geo)
        && (WinogradF4Backward.Force || ((long)geo.C * o >= WinogradF4BackwardMinChannelProduct && Math.Min(geo.Ho, geo.Wo) >= 7
            && (long)n * WinogradF4.TilesH(geo) * WinogradF4.TilesW(geo) >= WinogradF4BackwardMinTiles
            && 10L * WinogradF4.Xi * WinogradF4.TilesH(geo) * WinogradF4.TilesW(geo) <= 6L * Winograd.Xi * Winograd.TilesH(geo) * Winograd.TilesW(geo)));

    /// <summary>
    /// The backward pass of a 3×3, stride-1 convolution by Winograd F(4×4, 3×3) (see <see cref="WinogradF4Backward"/>):
    /// the gradient of the true convolution, whichever path computed the forward. Each worker range takes its own
    /// images, in chunks (small images) or band by band of tile rows (large ones), and keeps its own dU and bias sums,
    /// added in range order afterwards; the chunks and bands depend only on the shapes, so the bits do not depend on
    /// how many ranges ran in parallel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Conv2dWinogradF4Backward(Tensor g, Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo)
    {
        int n = x.Dims[0], c = geo.C, o = weight.Dims[0], p = geo.P;
        bool needW = weight.RequiresGrad, needX = x.RequiresGrad, needB = bias is not null && bias.RequiresGrad;
        if (!needW && !needX)
        {
            ConvBiasGradient(g.ReadOnlySpan, n, o, p, bias);
            return;
        }
        const int xis = WinogradF4.Xi;
        int th = WinogradF4.TilesH(geo), tw = WinogradF4.TilesW(geo), tPer = th * tw;
        float[]? u = null;
        if (needX)
        {
            u = Scratch.Get(Scratch.WinogradU, xis * o * c);
            WinogradF4.TransformWeights(weight.ReadOnlySpan, o, c, u);
        }
        var dx = needX ? TensorBuffers.Uninitialized(x.Size) : null;
        int ranges = KernelThreads.Ranges(n);
        int duLen = xis * o * c;
        var duAll = needW ? Scratch.Get(Scratch.WinogradDu, ranges * duLen) : null;
        var biasParts = needB ? new double[ranges][] : null;
        var (chunk, bandRows) = WinogradF4Units(n, c, o, th, tw);
        KernelThreads.For(n, (r, start, end) =>
        {
            if (duAll is not null && end == start)
            {
                duAll.AsSpan(r * duLen, duLen).Clear(); // an empty range: no unit below sets its dU
            }
            var biasSum = needB ? new double[o] : null;
            var xs = x.ReadOnlySpan;
            var gs = g.ReadOnlySpan;
            bool first = true;
            if (bandRows > 0)
            {
                for (int i = start; i < end; i++)
                {
                    for (int ti0 = 0; ti0 < th; ti0 += bandRows)
                    {
                        WinogradF4BackwardUnit(xs, gs, geo, o, u, duAll, r * duLen, biasSum, dx, i, 1, ti0, Math.Min(th, ti0 + bandRows), bandRows * tw, first);
                        first = false;
                    }
                }
            }
            else
            {
                int step = EvenChunk(end - start, chunk);
                for (int n0 = start; n0 < end; n0 += step)
                {
                    int b = Math.Min(step, end - n0);
                    WinogradF4BackwardUnit(xs, gs, geo, o, u, duAll, r * duLen, biasSum, dx, n0, b, 0, th, step * tPer, first);
                    first = false;
                }
            }
            if (biasParts is not null)
            {
                biasParts[r] = biasSum!;
            }
        });
        if (duAll is not null)
        {
            // The ranges' dU summed in range order and transformed back, both split over the (o, c) pairs: 512×512
            // weights have 9.4 M floats of dU per range.
            var dw = TensorBuffers.Uninitialized(o * c * 9);
            int oc = o * c;
            KernelThreads.For(oc, (_, k0, k1) =>
            {
                for (int r = 1; r < ranges; r++)
                {
                    for (int xi = 0; xi < xis; xi++)
                    {
                        var part = duAll.AsSpan((xi * oc) + k0, k1 - k0);
                        System.Numerics.Tensors.TensorPrimitives.Add(part, duAll.AsSpan((r * duLen) + (xi * oc) + k0, k1 - k0), part);
                    }
                }
                WinogradF4Backward.WeightGradientRange(duAll, oc, dw, k0, k1);
            });
            weight.AccumulateGrad(new Tensor(dw, (int[])weight.Dims.Clone()));
        }
        AccumulateWinogradGrads(x, dx, bias, biasParts);
    }

    /// <summary>
    /// Images per chunk and tile rows per band (0: whole images) of the F(4×4, 3×3) backward, from the shapes and the
    /// cache size only. A unit's dM, V and dV ([36, O + C, T]) should fit the L2 budget, but with at least
    /// <see cref="WinogradF4MinUnitTiles"/> tiles; an image larger than that goes band by band.
    /// </summary>
    private static (int Chunk, int BandRows) WinogradF4Units(int n, int c, int o, int th, int tw)
    {
        if (Winograd.ForceBandRows > 0)
        {
            return (1, Math.Min(Winograd.ForceBandRows, th));
        }
        long perTile = (long)WinogradF4.Xi * (c + o);
        int tPer = th * tw;
        int fit = (int)Math.Max(1, s_winogradBudget / perTile);
        // U and dU ([36, O, C] each) are read and written once per unit: wide layers (512 channels: 38 MB each) want
        // units of at least about O·C / (O + C) tiles, so that this traffic stays below that of the unit's own data.
        int tiles = Math.Max(fit, (int)Math.Max(WinogradF4MinUnitTiles, (long)c * o / (c + o)));
        if (tPer > tiles)
        {
            int rows = Math.Max(1, tiles / tw);
            return rows >= th ? (1, 0) : (1, EvenChunk(th, rows));
        }
        return (Math.Clamp(tiles / tPer, 1, Math.Max(1, n)), 0);
    }

    /// <summary>
    /// One unit of the F(4×4, 3×3) backward: images [n0, n0 + count), tile rows [ti0, ti1) (a band of one image, or all
    /// rows of a chunk). dM from the output gradient (with the bias sums), V recomputed from the input (keeping every
    /// unit's V from the forward pass would go through memory), then per ξ dU_ξ = β·dU_ξ + dM_ξ · V_ξᵀ and
    /// dV_ξ = U_ξᵀ · dM_ξ (<see cref="BandProducts"/>; the ξ split over the worker ranges when the images are not), and
    /// dV scattered onto the unit's input rows. <paramref name="tMax"/> sizes the scratch for the range's largest unit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WinogradF4BackwardUnit(ReadOnlySpan<float> xs, ReadOnlySpan<float> gs, ConvGeometry geo, int o, float[]? u, float[]? duAll, int duAt,
        double[]? biasSum, float[]? dx, int n0, int count, int ti0, int ti1, int tMax, bool first)
    {
        const int xis = WinogradF4.Xi;
        int c = geo.C, p = geo.P, t = count * (ti1 - ti0) * WinogradF4.TilesW(geo);
        var plane = Scratch.Get(Scratch.WinogradPlane, Math.Max(WinogradF4.PlaneScratch(geo), WinogradF4Backward.PlaneScratch(geo)));
        var dm = Scratch.Get(Scratch.WinogradM, xis * o * tMax);
        // V's slot also holds, after the 36 ξ, room for one ξ's V transposed to [T×C] per worker range.
        var v = Scratch.Get(Scratch.WinogradV, (xis + 2) * c * tMax);
        var dy = gs.Slice(n0 * o * p, count * o * p);
        WinogradF4Backward.OutputGradient(dy, count, o, geo, dm, biasSum is null ? default : biasSum.AsSpan(), ti0, ti1);
        if (duAll is not null)
        {
            WinogradF4.TransformInput(xs.Slice(n0 * c * geo.PlaneIn, count * c * geo.PlaneIn), count, geo, v, plane, ti0, ti1);
        }
        float beta = first ? 0f : 1f;
        if (KernelThreads.WouldSplit(xis))
        {
            // Fewer images than worker ranges (a small batch): the ξ are split over the ranges instead. Each product is
            // the same whichever range runs it, so the bits do not depend on the split.
            KernelThreads.For(xis, (r, xi0, xi1) => BandProducts(dm, v, (xis + r) * c * tMax, u, duAll, duAt, o, c, t, beta, xi0, xi1));
        }
        else
        {
            BandProducts(dm, v, xis * c * tMax, u, duAll, duAt, o, c, t, beta, 0, xis);
        }
        if (dx is not null)
        {
            WinogradF4Backward.InputGradient(v, count, geo, dx.AsSpan(n0 * c * geo.PlaneIn, count * c * geo.PlaneIn), plane, ti0, ti1);
        }
    }
}
