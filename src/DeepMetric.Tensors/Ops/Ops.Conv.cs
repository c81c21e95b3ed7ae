using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    // Upper bound on the floats of one im2col column matrix: several images share one GEMM up to this size.
    private const int ConvColumnBudget = 1 << 20;

    // From this many output positions per image, per-image GEMMs are large enough and skip the [O, B·P] reordering.
    private const int ConvDirectPositions = 400;

    // Floats of one band of im2col columns (512 KB): the band and its GEMM's panels stay in L2.
    private const int ConvBandFloats = 1 << 17;

    /// <summary>2-D convolution (cross-correlation). x: [N, C, H, W]; weight: [O, C, kh, kw]; bias: [O].</summary>
    /// <remarks>
    /// 3×3 kernels with stride 1 and no dilation use Winograd F(2×2, 3×3) (Lavin &amp; Gray, "Fast Algorithms for
    /// Convolutional Neural Networks", CVPR 2016): 16 GEMMs over transformed tiles, 2.25× fewer flops.
    /// Other convolutions use im2col + GEMM over chunks of images (one [C·kh·kw, B·Ho·Wo] column matrix per chunk);
    /// the backward pass uses one GEMM for the weight gradient and one plus col2im for the input gradient.
    /// </remarks>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1) =>
        Conv2dCore(x, weight, bias, stride, padding, dilation, null);

    /// <summary>
    /// <see cref="Conv2d"/> whose output rows go through <paramref name="epilogue"/> (inference batch norm, residual
    /// add, ReLU) while still in cache. Inference only: no input may need a gradient while gradients are recorded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Tensor Conv2dCore(Tensor x, Tensor weight, Tensor? bias, int stride, int padding, int dilation, ConvEpilogue? epilogue)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (x.Rank != 4)
        {
            throw new ArgumentException($"Conv2d: input must be [N, C, H, W], got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        if (weight.Rank != 4)
        {
            throw new ArgumentException($"Conv2d: weight must be [O, C, kh, kw], got {ShapeUtil.Format(weight.Dims)}.", nameof(weight));
        }
        int n = x.Dims[0], c = x.Dims[1], o = weight.Dims[0];
        if (weight.Dims[1] != c)
        {
            throw new ArgumentException($"Conv2d: weight {ShapeUtil.Format(weight.Dims)} expects {weight.Dims[1]} input channels but the input {ShapeUtil.Format(x.Dims)} has {c}.", nameof(weight));
        }
        if (bias is not null && (bias.Rank != 1 || bias.Dims[0] != o))
        {
            throw new ArgumentException($"Conv2d: bias must be [{o}], got {ShapeUtil.Format(bias.Dims)}.", nameof(bias));
        }
        CheckWindowArgs("Conv2d", stride, padding, dilation);
        var geo = new ConvGeometry(c, x.Dims[2], x.Dims[3], weight.Dims[2], weight.Dims[3], stride, padding, dilation);
        if (geo.Kh < 1 || geo.Kw < 1 || geo.EffKh > geo.Hp || geo.EffKw > geo.Wp)
        {
            throw new ArgumentException($"Conv2d: the kernel {geo.Kh}×{geo.Kw} (dilation {dilation}, extent {geo.EffKh}×{geo.EffKw}) does not fit the padded input {geo.Hp}×{geo.Wp}.", nameof(weight));
        }

        if (epilogue is not null)
        {
            CheckInference(x, weight, bias, epilogue);
            epilogue.Check(x.Dims[0], o, geo.Ho, geo.Wo);
        }
        if (UseDirect(geo))
        {
            var direct = Conv2dDirect(x, weight, bias, geo);
            epilogue?.ApplyAll(direct.Buffer, x.Dims[0], o, geo.P);
            return direct;
        }
        if (UseWinograd(geo, o) || UseWinogradF4(geo, o, n))
        {
            return Conv2dWinograd(x, weight, bias, geo, epilogue: epilogue);
        }

        int k = geo.K, p = geo.P, outPerImage = o * p;
        int chunk = ConvChunk(n, k, p);
        if (ByChannels(n, o))
        {
            return ConvRecord(Conv2dByChannels(x, weight, bias, geo, epilogue), x, weight, bias, geo, chunk, epilogue);
        }
        var y = TensorBuffers.Uninitialized(n * outPerImage);
        var xb = x.Buffer;
        var wb = weight.Buffer;
        int xOff = x.Offset, wOff = weight.Offset;
        var bb = bias?.Buffer;
        int bOff = bias?.Offset ?? 0;
        // Images are independent: each worker range runs im2col and its GEMMs (single-threaded) on its own images and
        // its own scratch buffers, so the copies run on both cores too. The split depends on n only (KernelThreads).
        KernelThreads.For(n, (_, start, end) =>
        {
            var w = new ReadOnlySpan<float>(wb, wOff, o * k);
            var xs = new ReadOnlySpan<float>(xb, xOff, n * c * geo.PlaneIn);
            for (int n0 = start; n0 < end; n0 += chunk)
            {
                int b = Math.Min(chunk, end - n0);
                if (b == 1 || p >= ConvDirectPositions)
                {
                    // Large images: GEMMs per image and per band of output rows, straight into [O, P] (no reordering
                    // copy), each band's columns still in cache when its GEMM reads them, and its output rows when
                    // the bias and the epilogue run on them.
                    int rows = ConvBandRows(geo), bands = (geo.Ho + rows - 1) / rows;
                    for (int i = n0; i < n0 + b; i++)
                    {
                        var src = PaddedImages(xs.Slice(i * c * geo.PlaneIn, c * geo.PlaneIn), 1, geo);
                        ConvBands(src, geo, w, o, y, i, 0, bands, rows, bb, bOff, epilogue);
                    }
                    continue;
                }
                var col = Columns(xs.Slice(n0 * c * geo.PlaneIn, b * c * geo.PlaneIn), b, geo);
                // [O, B·P] → [B, O, P]: one contiguous row of P per (image, channel).
                int ld = b * p;
                var tmp = Scratch.Get(Scratch.ConvOutput, o * ld);
                Gemm.Multiply(false, false, o, ld, k, 1f, w, k, col, ld, 0f, tmp, ld);
                for (int i = 0; i < b; i++)
                {
                    for (int oc = 0; oc < o; oc++)
                    {
                        tmp.AsSpan((oc * ld) + (i * p), p).CopyTo(y.AsSpan(((n0 + i) * outPerImage) + (oc * p), p));
                    }
                }
                if (bb is not null)
                {
                    for (int i = n0; i < n0 + b; i++)
                    {
                        for (int oc = 0; oc < o; oc++)
                        {
                            var row = y.AsSpan((i * outPerImage) + (oc * p), p);
                            TensorPrimitives.Add(row, bb[bOff + oc], row);
                        }
                    }
                }
                epilogue?.Apply(y, 0, n0, b, o, p);
            }
        });

        return ConvRecord(y, x, weight, bias, geo, chunk, epilogue);
    }

    private static Tensor ConvRecord(float[] y, Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, int chunk, ConvEpilogue? epilogue)
    {
        int[] dims = [x.Dims[0], weight.Dims[0], geo.Ho, geo.Wo];
        if (epilogue is not null)
        {
            return new Tensor(y, dims);
        }
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, dims, "Conv2d", inputs, g => Conv2dBackward(g, x, weight, bias, geo, chunk));
    }

    // A batch too small to split over images (fewer than two ranges) is split over output channels instead: each
    // range builds the columns itself and multiplies its rows of W, so copies and epilogue run on both cores too. The
    // choice and the ranges depend on N and O only, so the bits do not depend on the thread count (a batch of 1 may
    // round differently from the same image in a batch of 32: BLAS kernels differ by matrix shape).
    private static bool ByChannels(int n, int o) => KernelThreads.Ranges(n) == 1 && KernelThreads.Ranges(o) > 1;

    /// <summary>im2col convolution of a small batch, output channels split over the worker ranges, image by image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] Conv2dByChannels(Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, ConvEpilogue? epilogue)
    {
        int n = x.Dims[0], c = geo.C, o = weight.Dims[0], k = geo.K, p = geo.P;
        var y = TensorBuffers.Uninitialized(n * o * p);
        var xb = x.Buffer;
        var wb = weight.Buffer;
        int xOff = x.Offset, wOff = weight.Offset;
        var bb = bias?.Buffer;
        int bOff = bias?.Offset ?? 0;
        if ((long)k * p <= ConvColumnBudget)
        {
            // The image's whole column matrix, built once on this thread and shared by the ranges: each range used to
            // build its own copy in bands of rows (for the 512-channel 7×7 layer, GEMMs of 28 and 21 columns).
            for (int i = 0; i < n; i++)
            {
                Columns(new ReadOnlySpan<float>(xb, xOff + (i * c * geo.PlaneIn), c * geo.PlaneIn), 1, geo);
                var col = Scratch.Get(Scratch.ConvColumns, k * p);
                int image = i;
                KernelThreads.For(o, (_, o0, o1) =>
                {
                    int oc = o1 - o0;
                    var yi = y.AsSpan(((image * o) + o0) * p, oc * p);
                    Gemm.Multiply(false, false, oc, p, k, 1f, new ReadOnlySpan<float>(wb, wOff + (o0 * k), oc * k), k, col, p, 0f, yi, p);
                    AddBiasAndEpilogue(y, image, o, o0, o1, p, bb, bOff, epilogue);
                });
            }
            return y;
        }
        int bandRows = ConvBandRows(geo), bands = (geo.Ho + bandRows - 1) / bandRows;
        if (KernelThreads.Ranges(bands) > 1)
        {
            // A large image (the stem at batch 1): its bands of output rows split over the ranges, every range all
            // channels. The channel split below built each band's columns once per range and ran GEMMs of half the
            // rows of W; the bands are those of ConvImageByRows, so the bits are the batched path's.
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> image = new(xb, xOff + (i * c * geo.PlaneIn), c * geo.PlaneIn);
                float[]? padded = null;
                if (geo.Padding > 0)
                {
                    padded = Scratch.Get(Scratch.ConvPadded, c * geo.PlanePadded);
                    ConvKernels.Pad(image, 1, geo, padded);
                }
                int image0 = i;
                KernelThreads.For(bands, (_, band0, band1) =>
                {
                    var src = padded is null ? new ReadOnlySpan<float>(xb, xOff + (image0 * c * geo.PlaneIn), c * geo.PlaneIn) : padded;
                    ConvBands(src, geo, new ReadOnlySpan<float>(wb, wOff, o * k), o, y, image0, band0, band1, bandRows, bb, bOff, epilogue);
                });
            }
            return y;
        }
        KernelThreads.For(o, (_, o0, o1) =>
        {
            int oc = o1 - o0;
            var w = new ReadOnlySpan<float>(wb, wOff + (o0 * k), oc * k);
            for (int i = 0; i < n; i++)
            {
                var yi = y.AsSpan(((i * o) + o0) * p, oc * p);
                ConvImageByRows(new ReadOnlySpan<float>(xb, xOff + (i * c * geo.PlaneIn), c * geo.PlaneIn), geo, w, oc, yi);
                if (bb is not null)
                {
                    for (int ch = 0; ch < oc; ch++)
                    {
                        var row = yi.Slice(ch * p, p);
                        TensorPrimitives.Add(row, bb[bOff + o0 + ch], row);
                    }
                }
                epilogue?.ApplyChannels(y, i, o, o0, o1, p);
            }
        });
        return y;
    }

    private static void AddBiasAndEpilogue(float[] y, int image, int o, int o0, int o1, int p, float[]? bb, int bOff, ConvEpilogue? epilogue)
    {
        if (bb is not null)
        {
            for (int ch = o0; ch < o1; ch++)
            {
                var row = y.AsSpan(((image * o) + ch) * p, p);
                TensorPrimitives.Add(row, bb[bOff + ch], row);
            }
        }
        epilogue?.ApplyChannels(y, image, o, o0, o1, p);
    }

    // inputOnly: the caller computed the weight and bias gradients already (direct path).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Conv2dBackward(Tensor g, Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, int chunk, bool inputOnly = false)
    {
        int n = x.Dims[0], c = geo.C, o = weight.Dims[0], k = geo.K, p = geo.P, outPerImage = o * p;
        if (!inputOnly)
        {
            ConvBiasGradient(g.ReadOnlySpan, n, o, p, bias);
        }
        bool needW = weight.RequiresGrad && !inputOnly, needX = x.RequiresGrad;
        if (!needW && !needX)
        {
            return;
        }
        // Every float of dx is written by exactly one image's scatter (ScatterColumns), so it starts uninitialised.
        var dx = needX ? TensorBuffers.Uninitialized(x.Size) : null;
        int ranges = KernelThreads.Ranges(n);
        // Large images: per image, columns built and multiplied in bands of output rows (in cache). Otherwise chunks of
        // images share one GEMM, as in the forward pass (16-image chunks were measured slower: 14 MB column matrices
        // for the 512-channel layers, out of cache for im2col and col2im, and no faster GEMMs).
        bool perImage = p >= ConvDirectPositions;
        chunk = Math.Max(1, chunk);
        // One weight-gradient buffer per worker range (each sums its own images), added in range order afterwards:
        // the result depends on n only, not on the machine or on which range finishes first.
        // Allocated here, on the calling thread, so they come from (and go back to) its scope's buffer pool; a worker
        // thread has no scope and would fault in fresh pages for every call.
        var dwParts = new float[]?[ranges];
        for (int r = 0; r < ranges && needW; r++)
        {
            dwParts[r] = TensorBuffers.Uninitialized(o * k);
        }
        var gb = g.Buffer;
        var wb = weight.Buffer;
        var xb = x.Buffer;
        int gOff = g.Offset, wOff = weight.Offset, xOff = x.Offset;
        bool vector = ConvBackwardKernels.VectorsAvailable;
        KernelThreads.For(n, (range, start, end) =>
        {
            var w = new ReadOnlySpan<float>(wb, wOff, o * k);
            var xs = new ReadOnlySpan<float>(xb, xOff, n * c * geo.PlaneIn);
            var gsr = new ReadOnlySpan<float>(gb, gOff, n * outPerImage);
            var dw = dwParts[range];
            if (start == end)
            {
                dw?.AsSpan().Clear();
                return;
            }
            if (perImage)
            {
                bool transposed = WeightGradientTransposed(o, k);
                var acc = dw is not null && transposed ? Scratch.Get(Scratch.ConvOutput, k * o).AsSpan(0, k * o) : dw;
                for (int i = start; i < end; i++)
                {
                    var gi = gsr.Slice(i * outPerImage, outPerImage);
                    if (dw is not null)
                    {
                        WeightGradientByRows(xs.Slice(i * c * geo.PlaneIn, c * geo.PlaneIn), geo, gi, o, acc, i == start, transposed);
                    }
                    if (dx is not null)
                    {
                        InputGradientByRows(w, gi, geo, o, dx.AsSpan(i * c * geo.PlaneIn, c * geo.PlaneIn), vector);
                    }
                }
                if (dw is not null && transposed)
                {
                    TransposeInto(acc, k, o, dw);
                }
                return;
            }
            for (int n0 = start; n0 < end; n0 += chunk)
            {
                int b = Math.Min(chunk, end - n0), ld = b * p;
                var gChunk = gsr.Slice(n0 * outPerImage, b * outPerImage);
                // The output gradient of the chunk as [O, B·P].
                var tmp = Scratch.Get(Scratch.ConvOutput, o * ld);
                for (int i = 0; i < b; i++)
                {
                    for (int oc = 0; oc < o; oc++)
                    {
                        gChunk.Slice((i * outPerImage) + (oc * p), p).CopyTo(tmp.AsSpan((oc * ld) + (i * p), p));
                    }
                }
                var gc = tmp.AsSpan(0, o * ld);
                if (dw is not null)
                {
                    // dW[O,K] += G[O,BP] · colᵀ
                    var col = Columns(xs.Slice(n0 * c * geo.PlaneIn, b * c * geo.PlaneIn), b, geo);
                    Gemm.Multiply(false, true, o, k, ld, 1f, gc, ld, col, ld, n0 == start ? 0f : 1f, dw, k);
                }
                if (dx is not null)
                {
                    // dcol[K,BP] = Wᵀ · G, then scattered back onto the images.
                    var dcol = Scratch.Get(Scratch.ConvColumns, k * ld);
                    Gemm.Multiply(true, false, k, ld, o, 1f, w, k, gc, ld, 0f, dcol, ld);
                    ScatterColumns(dcol, ld, b, geo, dx.AsSpan(n0 * c * geo.PlaneIn, b * c * geo.PlaneIn), vector);
                }
            }
        });
        var dwSum = dwParts[0];
        if (dwSum is not null)
        {
            if (ranges > 1)
            {
                // Each element still sums the parts in range order; only the elements are split over the workers.
                KernelThreads.For(o * k, (_, from, to) =>
                {
                    var sum = dwSum.AsSpan(from, to - from);
                    for (int r = 1; r < ranges; r++)
                    {
                        TensorPrimitives.Add(sum, dwParts[r].AsSpan(from, to - from), sum);
                    }
                });
            }
            weight.AccumulateGrad(new Tensor(dwSum, (int[])weight.Dims.Clone()));
        }
        if (dx is not null)
        {
            x.AccumulateGrad(new Tensor(dx, (int[])x.Dims.Clone()));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConvBiasGradient(ReadOnlySpan<float> gs, int n, int o, int p, Tensor? bias)
    {
        int outPerImage = o * p;
        if (bias is not null && bias.RequiresGrad)
        {
            var db = new double[o];
            for (int i = 0; i < n; i++)
            {
                for (int oc = 0; oc < o; oc++)
                {
                    db[oc] += SumDouble(gs.Slice((i * outPerImage) + (oc * p), p));
                }
            }
            var gb = TensorBuffers.Zeroed(o);
            for (int oc = 0; oc < o; oc++)
            {
                gb[oc] = (float)db[oc];
            }
            bias.AccumulateGrad(new Tensor(gb, [o]));
        }
    }

    /// <summary>One image's convolution [O, P] by bands of output rows: im2col of a band, then its GEMM.</summary>
    private static void ConvImageByRows(ReadOnlySpan<float> image, in ConvGeometry geo, ReadOnlySpan<float> w, int o, Span<float> y) =>
        ConvRowsRange(PaddedImages(image, 1, geo), geo, w, o, y, 0, geo.Ho, ConvBandRows(geo));

    // The images as im2col reads them: padded into the thread's scratch when the geometry pads, else as they are.
    private static ReadOnlySpan<float> PaddedImages(ReadOnlySpan<float> images, int count, in ConvGeometry geo)
    {
        if (geo.Padding == 0)
        {
            return images;
        }
        var padded = Scratch.Get(Scratch.ConvPadded, count * geo.C * geo.PlanePadded);
        ConvKernels.Pad(images, count, geo, padded);
        return padded;
    }

    // Output rows per band of im2col columns, forward and backward: the band's columns fill ConvBandFloats.
    private static int ConvBandRows(in ConvGeometry geo) => Math.Clamp(ConvBandFloats / Math.Max(1, geo.K * geo.Wo), 1, geo.Ho);

    /// <summary>
    /// Bands [<paramref name="band0"/>, <paramref name="band1"/>) of <paramref name="rows"/> output rows of image
    /// <paramref name="image"/> (padded: <paramref name="src"/>) into the whole output <paramref name="y"/> [N, O, P],
    /// each band's bias and epilogue applied while its rows are in cache.
    /// </summary>
    private static void ConvBands(ReadOnlySpan<float> src, in ConvGeometry geo, ReadOnlySpan<float> w, int o, float[] y, int image,
        int band0, int band1, int rows, float[]? bb, int bOff, ConvEpilogue? epilogue)
    {
        int p = geo.P, wo = geo.Wo;
        var yi = y.AsSpan(image * o * p, o * p);
        for (int band = band0; band < band1; band++)
        {
            int oh0 = band * rows, oh1 = Math.Min(geo.Ho, oh0 + rows);
            ConvRowsRange(src, geo, w, o, yi, oh0, oh1, rows);
            int from = oh0 * wo, length = (oh1 - oh0) * wo;
            if (bb is not null)
            {
                for (int ch = 0; ch < o; ch++)
                {
                    var row = yi.Slice((ch * p) + from, length);
                    TensorPrimitives.Add(row, bb[bOff + ch], row);
                }
            }
            epilogue?.ApplyRows(y, image, o, 0, o, p, from, length);
        }
    }

    /// <summary>Output rows [oh0, oh1) of one padded image by bands of <paramref name="rows"/> rows (oh0 on a band boundary).</summary>
    private static void ConvRowsRange(ReadOnlySpan<float> src, in ConvGeometry geo, ReadOnlySpan<float> w, int o, Span<float> y, int oh0, int oh1, int rows)
    {
        int k = geo.K, wo = geo.Wo, p = geo.P;
        var col = Scratch.Get(Scratch.ConvColumns, k * rows * wo);
        for (int h = oh0; h < oh1; h += rows)
        {
            int r = Math.Min(rows, oh1 - h), cols = r * wo;
            ConvKernels.Im2Col(src, 1, geo, col, h, r);
            Gemm.Multiply(false, false, o, cols, k, 1f, w, k, col, cols, 0f, y[(h * wo)..], p);
        }
    }

    /// <summary>The column matrix [K, B·P] of a chunk of images, in the thread's scratch buffer.</summary>
    private static Span<float> Columns(ReadOnlySpan<float> images, int count, in ConvGeometry geo)
    {
        var src = PaddedImages(images, count, geo);
        var col = Scratch.Get(Scratch.ConvColumns, geo.K * count * geo.P).AsSpan(0, geo.K * count * geo.P);
        ConvKernels.Im2Col(src, count, geo, col);
        return col;
    }

    private static int ConvChunk(int n, int k, int p) => (int)Math.Clamp(ConvColumnBudget / Math.Max(1L, (long)k * p), 1, Math.Max(1, n));

    // The fused epilogue has no backward: callers take the unfused ops whenever a gradient is wanted.
    private static void CheckInference(Tensor x, Tensor weight, Tensor? bias, ConvEpilogue epilogue)
    {
        if (Autograd.NoGradScope.GradEnabled && (x.RequiresGrad || weight.RequiresGrad || (bias?.RequiresGrad ?? false) || (epilogue.Residual?.RequiresGrad ?? false)))
        {
            throw new InvalidOperationException("A convolution with a fused epilogue has no gradient; use the unfused ops when inputs require gradients.");
        }
    }

    private static void CheckWindowArgs(string op, int stride, int padding, int dilation)
    {
        if (stride < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{op}: stride must be at least 1.");
        }
        if (padding < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{op}: padding must be non-negative.");
        }
        if (dilation < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"{op}: dilation must be at least 1.");
        }
    }
}
