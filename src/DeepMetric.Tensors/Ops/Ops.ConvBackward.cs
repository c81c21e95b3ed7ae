namespace DeepMetric.Tensors;

public static partial class Ops
{
    // Upper bound on the floats of one backward column matrix [C·kh·kw, B·P] (16 MB): deeper weight-gradient GEMMs
    // than the forward's chunks, fewer passes over the [O, C·kh·kw] gradient they accumulate into.
    private const int ConvBackwardColumnBudget = 1 << 22;

    // Floats of one band of columns of the per-image weight gradient (1 MB, half the L2 of the CPUs this is tuned on).
    private const int ConvBackwardBandFloats = 1 << 18;

    private static int BackwardChunk(int n, int k, int p, int forwardChunk) =>
        (int)Math.Clamp(ConvBackwardColumnBudget / Math.Max(1L, (long)k * p), Math.Max(1, forwardChunk), Math.Max(1, n));

    /// <summary>
    /// dW[O, K] (+)= G[O, P] · colᵀ for one image, its columns built in bands of output rows so each band is still in
    /// cache when its GEMM reads it (the stem's columns are 147 × 12,544 floats per image). <paramref name="first"/>:
    /// overwrite dW rather than add to it.
    /// </summary>
    private static void WeightGradientByRows(ReadOnlySpan<float> image, in ConvGeometry geo, ReadOnlySpan<float> g, int o, Span<float> dw, bool first)
    {
        ReadOnlySpan<float> src = image;
        if (geo.Padding > 0)
        {
            var padded = Scratch.Get(Scratch.ConvPadded, geo.C * geo.PlanePadded);
            ConvKernels.Pad(image, 1, geo, padded);
            src = padded;
        }
        int k = geo.K, wo = geo.Wo, p = geo.P;
        int rows = Math.Clamp(ConvBackwardBandFloats / Math.Max(1, k * wo), 1, geo.Ho);
        var col = Scratch.Get(Scratch.ConvColumns, k * rows * wo);
        for (int oh0 = 0; oh0 < geo.Ho; oh0 += rows)
        {
            int r = Math.Min(rows, geo.Ho - oh0), cols = r * wo;
            ConvKernels.Im2Col(src, 1, geo, col, oh0, r);
            Gemm.Multiply(false, true, o, k, cols, 1f, g[(oh0 * wo)..], p, col, cols, first && oh0 == 0 ? 0f : 1f, dw, k);
        }
    }

    /// <summary>
    /// Writes the input gradient of <paramref name="count"/> images (every float of <paramref name="dx"/>) from their
    /// column gradient [C·kh·kw, ld]: a strided copy for 1×1 kernels without padding, else col2im into zeroed planes
    /// (padded ones in scratch, then cropped).
    /// </summary>
    private static void ScatterColumns(ReadOnlySpan<float> dcol, int ld, int count, in ConvGeometry geo, Span<float> dx, bool vector)
    {
        var images = dx[..(count * geo.C * geo.PlaneIn)];
        if (geo.Kh == 1 && geo.Kw == 1 && geo.Padding == 0)
        {
            ConvBackwardKernels.Scatter1x1(dcol, ld, count, geo, images, vector);
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
