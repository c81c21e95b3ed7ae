using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>Max pooling over kernel×kernel windows (stride defaults to the kernel size). x: [N, C, H, W].</summary>
    /// <remarks>
    /// Padding positions never win (they act as −∞). The gradient goes to the first maximal element of each
    /// window, whose index is kept from the forward pass.
    /// </remarks>
    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0)
    {
        var geo = PoolGeometry("MaxPool2d", x, kernel, stride, padding);
        int planes = x.Dims[0] * geo.C, ho = geo.Ho, wo = geo.Wo;
        if (kernel == 2 && geo.Stride == 2 && padding == 0)
        {
            return MaxPool2x2(x, geo, planes);
        }
        var y = TensorBuffers.Uninitialized(planes * ho * wo);
        if (!Autograd.NoGradScope.GradEnabled || !x.RequiresGrad)
        {
            MaxPoolValues(x, planes, geo, y);
            return new Tensor(y, [x.Dims[0], geo.C, ho, wo]);
        }
        if (kernel * kernel <= 256)
        {
            return MaxPoolWithWinners(x, geo, planes, y);
        }
        // Flat index into x of each output's winner, for the backward scatter.
        var arg = GC.AllocateUninitializedArray<int>(y.Length);
        var xb = x.Buffer;
        int xOff = x.Offset, perOut = ho * wo, perIn = geo.PlaneIn;
        // Planes are independent: each worker range pools its own (flat winner indices stay relative to x's start).
        KernelThreads.For(planes, (_, start, end) =>
        {
            var xs = new ReadOnlySpan<float>(xb, xOff + (start * perIn), (end - start) * perIn);
            var ys = y.AsSpan(start * perOut, (end - start) * perOut);
            var args = arg.AsSpan(start * perOut, (end - start) * perOut);
            if (padding == 0)
            {
                MaxPoolInterior(xs, end - start, geo, ys, args);
            }
            else
            {
                MaxPoolPadded(xs, end - start, geo, ys, args);
            }
            if (start > 0)
            {
                int shift = start * perIn;
                for (int i = 0; i < args.Length; i++)
                {
                    args[i] += shift;
                }
            }
        });
        int[] dims = [x.Dims[0], geo.C, ho, wo];
        return Tensor.Record(y, dims, "MaxPool2d", x, g =>
        {
            var dx = TensorBuffers.Zeroed(x.Size);
            var gs = g.ReadOnlySpan;
            ref float d0 = ref MemoryMarshal.GetArrayDataReference(dx);
            for (int i = 0; i < arg.Length; i++)
            {
                // arg holds in-range indices computed in the forward pass.
                Unsafe.Add(ref d0, arg[i]) += gs[i];
            }
            x.AccumulateGrad(new Tensor(dx, (int[])x.Dims.Clone()));
        });
    }

    /// <summary>
    /// Windows of up to 256 positions with a gradient (ResNet's 3×3 stride-2 stem pool among them): each window's winner
    /// is kept in one byte of scope-pooled storage (not a 4-byte index in a fresh array), and both passes split the
    /// planes over the worker ranges; the backward pass clears each input-gradient plane while it is in cache and adds
    /// the plane's output gradients in output order, the sums of the indexed path.
    /// </summary>
    private static Tensor MaxPoolWithWinners(Tensor x, ConvGeometry geo, int planes, float[] y)
    {
        int perOut = geo.Ho * geo.Wo, perIn = geo.PlaneIn;
        var winners = new PoolWinners(planes * perOut);
        var xb = x.Buffer;
        int xOff = x.Offset;
        KernelThreads.For(planes, (_, start, end) => PoolKernels.MaxPoolForward(
            new ReadOnlySpan<float>(xb, xOff + (start * perIn), (end - start) * perIn),
            y.AsSpan(start * perOut, (end - start) * perOut), winners.Slice(start * perOut, (end - start) * perOut), end - start, geo));
        int[] dims = [x.Dims[0], geo.C, geo.Ho, geo.Wo];
        return Tensor.Record(y, dims, "MaxPool2d", x, g =>
        {
            var dx = TensorBuffers.Uninitialized(x.Size);
            var gb = g.Buffer;
            int gOff = g.Offset;
            KernelThreads.For(planes, (_, start, end) => PoolKernels.MaxPoolBackward(
                winners.Slice(start * perOut, (end - start) * perOut), new ReadOnlySpan<float>(gb, gOff + (start * perOut), (end - start) * perOut),
                dx.AsSpan(start * perIn, (end - start) * perIn), end - start, geo));
            x.AccumulateGrad(new Tensor(dx, (int[])x.Dims.Clone()), owned: true);
        });
    }

    /// <summary>
    /// The common 2×2, stride-2 case, by <see cref="PoolKernels"/>: one pass per row pair that also records each
    /// window's winning position in a byte, so the backward pass reads only those bytes and the gradient (not the
    /// input and output) and writes every input gradient, its buffer not cleared first.
    /// </summary>
    private static Tensor MaxPool2x2(Tensor x, ConvGeometry geo, int planes)
    {
        int h = geo.H, w = geo.W, outputs = planes * geo.Ho * geo.Wo;
        var y = TensorBuffers.Uninitialized(outputs);
        var winners = new PoolWinners(outputs);
        PoolKernels.MaxPool2x2Forward(x.ReadOnlySpan, y, winners.All, planes, h, w);
        int[] dims = [x.Dims[0], geo.C, geo.Ho, geo.Wo];
        return Tensor.Record(y, dims, "MaxPool2d", x, g =>
        {
            var dx = TensorBuffers.Uninitialized(x.Size);
            PoolKernels.MaxPool2x2Backward(winners.All, g.ReadOnlySpan, dx, planes, h, w);
            x.AccumulateGrad(new Tensor(dx, (int[])x.Dims.Clone()), owned: true);
        });
    }

    /// <summary>Average pooling over kernel×kernel windows (stride defaults to the kernel size). x: [N, C, H, W].</summary>
    /// <remarks>Padded positions count as zeros in the average (the divisor is always kernel², as PyTorch's default).</remarks>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0)
    {
        var geo = PoolGeometry("AvgPool2d", x, kernel, stride, padding);
        int planes = x.Dims[0] * geo.C, ho = geo.Ho, wo = geo.Wo, h = geo.H, w = geo.W, s = geo.Stride, plane = geo.PlaneIn;
        float inv = 1f / (kernel * kernel);
        var y = TensorBuffers.Uninitialized(planes * ho * wo);
        var xs = x.ReadOnlySpan;
        int outIdx = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            int basePl = pl * plane;
            for (int oh = 0; oh < ho; oh++)
            {
                int h0 = (oh * s) - padding, h1 = Math.Min(h0 + kernel, h), hs = Math.Max(h0, 0);
                for (int ow = 0; ow < wo; ow++, outIdx++)
                {
                    int w0 = (ow * s) - padding, w1 = Math.Min(w0 + kernel, w), ws = Math.Max(w0, 0);
                    double sum = 0;
                    for (int ih = hs; ih < h1; ih++)
                    {
                        int rowAt = basePl + (ih * w);
                        for (int iw = ws; iw < w1; iw++)
                        {
                            sum += xs[rowAt + iw];
                        }
                    }
                    y[outIdx] = (float)sum * inv;
                }
            }
        }
        int[] dims = [x.Dims[0], geo.C, ho, wo];
        return Tensor.Record(y, dims, "AvgPool2d", x, g =>
        {
            var dx = TensorBuffers.Zeroed(x.Size);
            var gs = g.ReadOnlySpan;
            int at = 0;
            for (int pl = 0; pl < planes; pl++)
            {
                int basePl = pl * plane;
                for (int oh = 0; oh < ho; oh++)
                {
                    int h0 = (oh * s) - padding, h1 = Math.Min(h0 + kernel, h), hs = Math.Max(h0, 0);
                    for (int ow = 0; ow < wo; ow++, at++)
                    {
                        int w0 = (ow * s) - padding, w1 = Math.Min(w0 + kernel, w), ws = Math.Max(w0, 0);
                        float v = gs[at] * inv;
                        for (int ih = hs; ih < h1; ih++)
                        {
                            int rowAt = basePl + (ih * w);
                            for (int iw = ws; iw < w1; iw++)
                            {
                                dx[rowAt + iw] += v;
                            }
                        }
                    }
                }
            }
            x.AccumulateGrad(new Tensor(dx, (int[])x.Dims.Clone()));
        });
    }

    /// <summary>Mean over the spatial dimensions: [N, C, H, W] → [N, C].</summary>
    public static Tensor GlobalAvgPool2d(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
        {
            throw new ArgumentException($"GlobalAvgPool2d: input must be [N, C, H, W], got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        int n = x.Dims[0], c = x.Dims[1], plane = x.Dims[2] * x.Dims[3];
        if (plane == 0)
        {
            throw new ArgumentException($"GlobalAvgPool2d: the spatial size of {ShapeUtil.Format(x.Dims)} is empty.", nameof(x));
        }
        var y = TensorBuffers.Uninitialized(n * c);
        var xs = x.ReadOnlySpan;
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = (float)(SumDouble(xs.Slice(i * plane, plane)) / plane);
        }
        return Tensor.Record(y, [n, c], "GlobalAvgPool2d", x, g =>
        {
            var dx = TensorBuffers.Uninitialized(x.Size);
            var gs = g.ReadOnlySpan;
            float inv = 1f / plane;
            for (int i = 0; i < gs.Length; i++)
            {
                dx.AsSpan(i * plane, plane).Fill(gs[i] * inv);
            }
            x.AccumulateGrad(new Tensor(dx, (int[])x.Dims.Clone()));
        });
    }

    private static void MaxPoolPadded(ReadOnlySpan<float> xs, int planes, in ConvGeometry geo, Span<float> y, Span<int> arg)
    {
        int ho = geo.Ho, wo = geo.Wo, h = geo.H, w = geo.W, s = geo.Stride, k = geo.Kh, padding = geo.Padding;
        int outIdx = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            int basePl = pl * geo.PlaneIn;
            for (int oh = 0; oh < ho; oh++)
            {
                int h0 = (oh * s) - padding, h1 = Math.Min(h0 + k, h), hs = Math.Max(h0, 0);
                for (int ow = 0; ow < wo; ow++, outIdx++)
                {
                    int w0 = (ow * s) - padding, w1 = Math.Min(w0 + k, w), ws = Math.Max(w0, 0);
                    float best = float.NegativeInfinity;
                    int bestAt = basePl + (hs * w) + ws;
                    for (int ih = hs; ih < h1; ih++)
                    {
                        int rowAt = basePl + (ih * w);
                        for (int iw = ws; iw < w1; iw++)
                        {
                            float v = xs[rowAt + iw];
                            // Strict > keeps the first maximum; a NaN wins (it propagates, as in PyTorch).
                            if (v > best || float.IsNaN(v))
                            {
                                best = v;
                                bestAt = rowAt + iw;
                            }
                        }
                    }
                    y[outIdx] = best;
                    arg[outIdx] = bestAt;
                }
            }
        }
    }

    /// <summary>
    /// Max pooling without winner indices (no gradient needed): per output row the k input rows are reduced with a
    /// vectorised element-wise max first, then each window is the max of k columns of that row. Math.Max propagates
    /// NaN, as the indexed path does. Planes are split over the worker ranges.
    /// </summary>
    private static void MaxPoolValues(Tensor x, int planes, ConvGeometry geo, float[] y)
    {
        int h = geo.H, w = geo.W, ho = geo.Ho, wo = geo.Wo, s = geo.Stride, k = geo.Kh, pad = geo.Padding;
        var xb = x.Buffer;
        int xOff = x.Offset;
        KernelThreads.For(planes, (_, start, end) =>
        {
            var rowMax = new float[w];
            var windowMax = new float[w];
            for (int pl = start; pl < end; pl++)
            {
                var plane = new ReadOnlySpan<float>(xb, xOff + (pl * h * w), h * w);
                for (int oh = 0; oh < ho; oh++)
                {
                    int h0 = Math.Max((oh * s) - pad, 0), h1 = Math.Min((oh * s) - pad + k, h);
                    plane.Slice(h0 * w, w).CopyTo(rowMax);
                    for (int ih = h0 + 1; ih < h1; ih++)
                    {
                        TensorPrimitives.Max(rowMax, plane.Slice(ih * w, w), rowMax);
                    }
                    WindowMaxRow(rowMax, k, s, pad, y.AsSpan((((pl * ho) + oh) * wo), wo), windowMax);
                }
            }
        });
    }

    // Without padding every window lies inside the image: no clipping, and a 2×2 fast path.
    private static void MaxPoolInterior(ReadOnlySpan<float> xs, int planes, in ConvGeometry geo, Span<float> y, Span<int> arg)
    {
        int ho = geo.Ho, wo = geo.Wo, w = geo.W, s = geo.Stride, k = geo.Kh;
        ref float x0 = ref MemoryMarshal.GetReference(xs);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref int a0 = ref MemoryMarshal.GetReference(arg);
        int outIdx = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            int basePl = pl * geo.PlaneIn;
            for (int oh = 0; oh < ho; oh++)
            {
                int rowStart = basePl + (oh * s * w);
                for (int ow = 0; ow < wo; ow++, outIdx++)
                {
                    int at = rowStart + (ow * s);
                    float best = Unsafe.Add(ref x0, at);
                    int bestAt = at;
                    if (k == 2)
                    {
                        float v1 = Unsafe.Add(ref x0, at + 1), v2 = Unsafe.Add(ref x0, at + w), v3 = Unsafe.Add(ref x0, at + w + 1);
                        if (v1 > best || float.IsNaN(v1))
                        {
                            best = v1;
                            bestAt = at + 1;
                        }
                        if (v2 > best || float.IsNaN(v2))
                        {
                            best = v2;
                            bestAt = at + w;
                        }
                        if (v3 > best || float.IsNaN(v3))
                        {
                            best = v3;
                            bestAt = at + w + 1;
                        }
                    }
                    else
                    {
                        for (int i = 0; i < k; i++)
                        {
                            int r = at + (i * w);
                            for (int j = i == 0 ? 1 : 0; j < k; j++)
                            {
                                float v = Unsafe.Add(ref x0, r + j);
                                if (v > best || float.IsNaN(v))
                                {
                                    best = v;
                                    bestAt = r + j;
                                }
                            }
                        }
                    }
                    Unsafe.Add(ref y0, outIdx) = best;
                    Unsafe.Add(ref a0, outIdx) = bestAt;
                }
            }
        }
    }

    private static ConvGeometry PoolGeometry(string op, Tensor x, int kernel, int? stride, int padding)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
        {
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        if (kernel < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"{op}: kernel must be at least 1.");
        }
        int s = stride ?? kernel;
        CheckWindowArgs(op, s, padding, 1);
        if (padding > kernel / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{op}: padding must be at most half the kernel ({kernel / 2}).");
        }
        var geo = new ConvGeometry(x.Dims[1], x.Dims[2], x.Dims[3], kernel, kernel, s, padding, 1);
        if (kernel > geo.Hp || kernel > geo.Wp)
        {
            throw new ArgumentException($"{op}: kernel {kernel} is larger than the padded input {geo.Hp}×{geo.Wp}.", nameof(kernel));
        }
        return geo;
    }
}
