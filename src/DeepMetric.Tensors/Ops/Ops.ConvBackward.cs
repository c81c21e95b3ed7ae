namespace DeepMetric.Tensors;

public static partial class Ops
{
    // Few output channels and more column rows (the stem: 64 × 147): OpenBLAS runs the weight-gradient GEMM faster
    // as dWᵀ[K, O] = col · Gᵀ (measured 111–116 against 75–99 GFLOP/s per core), transposed once per worker range.
    private static bool WeightGradientTransposed(int o, int k) => o < 128 && k > o;

    /// <summary>
    /// dW[O, K] (+)= G[O, P] · colᵀ for one image, or dWᵀ[K, O] (+)= col · Gᵀ when <paramref name="transposed"/>, its
    /// columns built in the forward pass's bands of output rows (<see cref="ConvBandRows"/>, 512 KB of columns) so each
    /// band is still in cache when its GEMM reads it (the stem's columns are 147 × 12,544 floats per image).
    /// <paramref name="first"/>: overwrite the sum rather than add to it.
    /// </summary>
    private static void WeightGradientByRows(ReadOnlySpan<float> image, in ConvGeometry geo, ReadOnlySpan<float> g, int o, Span<float> acc,
        bool first, bool transposed)
    {
        var src = PaddedImages(image, 1, geo);
        int k = geo.K, wo = geo.Wo, p = geo.P, rows = ConvBandRows(geo);
        var col = Scratch.Get(Scratch.ConvColumns, k * rows * wo);
        for (int oh0 = 0; oh0 < geo.Ho; oh0 += rows)
        {
            int r = Math.Min(rows, geo.Ho - oh0), cols = r * wo;
            BuildColumns(src, 1, geo, col, oh0, r);
            float beta = first && oh0 == 0 ? 0f : 1f;
            if (transposed)
            {
                Gemm.Multiply(false, true, k, o, cols, 1f, col, cols, g[(oh0 * wo)..], p, beta, acc, o);
            }
            else
            {
                Gemm.Multiply(false, true, o, k, cols, 1f, g[(oh0 * wo)..], p, col, cols, beta, acc, k);
            }
        }
    }

    /// <summary>
    /// One image's input gradient (every float of <paramref name="dx"/>) by bands of output rows: dcol = Wᵀ · G of a
    /// band, then its col2im while the band is still in cache. <paramref name="accumulate"/> (stride-2 phases only):
    /// add it to <paramref name="dx"/>.
    /// </summary>
    private static void InputGradientByRows(ReadOnlySpan<float> w, ReadOnlySpan<float> g, in ConvGeometry geo, int o, Span<float> dx, bool vector,
        bool accumulate)
    {
        if (geo.Kh == 1 && geo.Kw == 1 && geo.Padding == 0)
        {
            // 1×1: the column gradient is only C·P floats; no col2im to keep in cache.
            var full = Scratch.Get(Scratch.ConvColumns, geo.K * geo.P);
            Gemm.Multiply(true, false, geo.K, geo.P, o, 1f, w, geo.K, g, geo.P, 0f, full, geo.P);
            ConvBackwardKernels.Scatter1x1(full, geo.P, 1, geo, dx, vector);
            return;
        }
        int k = geo.K, wo = geo.Wo, p = geo.P;
        // Stride 2: the bands add contiguous rows into the phase planes, merged (and cropped) into dx at the end. Otherwise
        // into the padded image (cropped into dx at the end), or straight into dx when there is no padding.
        bool phased = Stride2Phases.Applies(geo);
        int planes = geo.C * (phased ? Stride2Phases.PlaneFloats(geo) : geo.PlanePadded);
        var target = phased || geo.Padding > 0 ? Scratch.Get(Scratch.ConvPadded, planes).AsSpan(0, planes) : dx[..(geo.C * geo.PlaneIn)];
        target.Clear();
        int rows = ConvBandRows(geo);
        var dcol = Scratch.Get(Scratch.ConvColumns, k * rows * wo);
        for (int oh0 = 0; oh0 < geo.Ho; oh0 += rows)
        {
            int r = Math.Min(rows, geo.Ho - oh0), cols = r * wo;
            Gemm.Multiply(true, false, k, cols, o, 1f, w, k, g[(oh0 * wo)..], p, 0f, dcol, cols);
            if (phased)
            {
                Stride2Phases.Col2Im(dcol, cols, 1, geo, target, vector, oh0, r);
            }
            else
            {
                ConvBackwardKernels.Col2Im(dcol, cols, 1, geo, target, vector, oh0, r);
            }
        }
        if (phased)
        {
            Stride2Phases.Merge(target, 1, geo, dx, vector ? Stride2Phases.BestVectorBits : 0, accumulate);
        }
        else if (geo.Padding > 0)
        {
            ConvBackwardKernels.CropCopy(target, 1, geo, dx);
        }
    }

    /// <summary>dst[O, K] = src[K, O]ᵀ.</summary>
    private static void TransposeInto(ReadOnlySpan<float> src, int k, int o, Span<float> dst)
    {
        for (int r = 0; r < k; r++)
        {
            var row = src.Slice(r * o, o);
            for (int oc = 0; oc < o; oc++)
            {
                dst[(oc * k) + r] = row[oc];
            }
        }
    }

    /// <summary>
    /// Writes the input gradient of <paramref name="count"/> images (every float of <paramref name="dx"/>) from their
    /// column gradient [C·kh·kw, ld]: a strided copy for 1×1 kernels without padding, else col2im into zeroed planes
    /// (padded ones in scratch, then cropped). <paramref name="accumulate"/> (stride-2 phases only): add to
    /// <paramref name="dx"/> instead.
    /// </summary>
    private static void ScatterColumns(ReadOnlySpan<float> dcol, int ld, int count, in ConvGeometry geo, Span<float> dx, bool vector, bool accumulate)
    {
        var images = dx[..(count * geo.C * geo.PlaneIn)];
        if (geo.Kh == 1 && geo.Kw == 1 && geo.Padding == 0)
        {
            ConvBackwardKernels.Scatter1x1(dcol, ld, count, geo, images, vector);
            return;
        }
        if (Stride2Phases.Applies(geo))
        {
            int floats = count * geo.C * Stride2Phases.PlaneFloats(geo);
            var phases = Scratch.Get(Scratch.ConvPadded, floats).AsSpan(0, floats);
            phases.Clear();
            Stride2Phases.Col2Im(dcol, ld, count, geo, phases, vector, 0, geo.Ho);
            Stride2Phases.Merge(phases, count, geo, images, vector ? Stride2Phases.BestVectorBits : 0, accumulate);
            return;
        }
        if (geo.Padding == 0)
        {
            images.Clear();
            ConvBackwardKernels.Col2Im(dcol, ld, count, geo, images, vector);
            return;
        }
        var padded = Scratch.Get(Scratch.ConvPadded, count * geo.C * geo.PlanePadded).AsSpan(0, count * geo.C * geo.PlanePadded);
        padded.Clear();
        ConvBackwardKernels.Col2Im(dcol, ld, count, geo, padded, vector);
        ConvBackwardKernels.CropCopy(padded, count, geo, images);
    }
}
