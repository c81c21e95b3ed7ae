using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>
    /// General 2-D convolution as ONNX and PyTorch define it: per-axis strides and dilations, asymmetric padding and
    /// channel groups (Krizhevsky et al. 2012; depthwise when groups = channels, Howard et al., "MobileNets", 2017).
    /// x: [N, C, H, W]; weight: [O, C/groups, kh, kw]; bias: [O] or null.
    /// </summary>
    /// <remarks>
    /// One group with the same stride and dilation on both axes runs on <see cref="Conv2d"/> (its fast paths), after an
    /// explicit <see cref="Pad"/> for the part of the padding that is not symmetric. Depthwise convolutions (one input
    /// channel per group) use a direct kernel; other grouped convolutions run one <see cref="Conv2d"/> per group.
    /// </remarks>
    /// <param name="x">Input [N, C, H, W].</param>
    /// <param name="weight">Kernels [O, C/groups, kh, kw].</param>
    /// <param name="bias">Per-output-channel bias, or null.</param>
    /// <param name="stride">Vertical and horizontal step (≥ 1).</param>
    /// <param name="pads">Zero padding at the top, left, bottom and right (≥ 0).</param>
    /// <param name="dilation">Vertical and horizontal spacing between kernel taps (≥ 1).</param>
    /// <param name="groups">Channel groups; C and O must be multiples of it.</param>
    public static Tensor Conv2dGeneral(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) pads, (int H, int W) dilation, int groups = 1) =>
        Conv2dGeneral(x, weight, bias, stride, pads, dilation, groups, null);

    /// <summary>
    /// Inference convolution:
    /// <see cref="Conv2dGeneral(Tensor, Tensor, Tensor?, ValueTuple{int, int}, ValueTuple{int, int, int, int}, ValueTuple{int, int}, int)"/>
    /// followed by <paramref name="epilogue"/> (a batch norm's scale and shift, a residual, a ReLU), which the output rows
    /// go through while still in cache where the kernel allows (else in one pass afterwards). The values equal the
    /// separate ops' bit for bit; the result has no gradient, so nothing may require one while gradients are enabled.
    /// </summary>
    /// <param name="x">Input [N, C, H, W].</param>
    /// <param name="weight">Filters [O, C/groups, kh, kw].</param>
    /// <param name="bias">Optional [O].</param>
    /// <param name="stride">Vertical and horizontal step (≥ 1).</param>
    /// <param name="pads">Zero padding at the top, left, bottom and right (≥ 0).</param>
    /// <param name="dilation">Vertical and horizontal spacing between kernel taps (≥ 1).</param>
    /// <param name="groups">Channel groups; C and O must be multiples of it.</param>
    /// <param name="epilogue">What happens to the output: see <see cref="ConvEpilogue"/>.</param>
    /// <exception cref="InvalidOperationException">An input requires a gradient while gradients are enabled.</exception>
    public static Tensor Conv2dInference(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) pads, (int H, int W) dilation, int groups, ConvEpilogue epilogue)
    {
        ArgumentNullException.ThrowIfNull(epilogue);
        return Conv2dGeneral(x, weight, bias, stride, pads, dilation, groups, epilogue);
    }

    // The shared body: epilogue null is the ordinary, differentiable convolution.
    private static Tensor Conv2dGeneral(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) pads, (int H, int W) dilation, int groups, ConvEpilogue? epilogue)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (x.Rank != 4 || weight.Rank != 4)
        {
            throw new ArgumentException($"Conv2dGeneral: input must be [N, C, H, W] and weight [O, C/groups, kh, kw], got {ShapeUtil.Format(x.Dims)} and {ShapeUtil.Format(weight.Dims)}.", nameof(x));
        }
        int c = x.Dims[1], o = weight.Dims[0];
        if (groups < 1 || c % groups != 0 || o % groups != 0 || weight.Dims[1] * groups != c)
        {
            throw new ArgumentException($"Conv2dGeneral: {groups} groups do not fit input channels {c}, output channels {o} and weight {ShapeUtil.Format(weight.Dims)} (needs weight [O, C/groups, kh, kw]).", nameof(groups));
        }
        if (bias is not null && (bias.Rank != 1 || bias.Dims[0] != o))
        {
            throw new ArgumentException($"Conv2dGeneral: bias must be [{o}], got {ShapeUtil.Format(bias.Dims)}.", nameof(bias));
        }
        if (stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1 || pads.Top < 0 || pads.Left < 0 || pads.Bottom < 0 || pads.Right < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), $"Conv2dGeneral: strides and dilations must be ≥ 1 and pads ≥ 0, got stride {stride}, dilation {dilation}, pads {pads}.");
        }
        int kh = weight.Dims[2], kw = weight.Dims[3];
        int hp = x.Dims[2] + pads.Top + pads.Bottom, wp = x.Dims[3] + pads.Left + pads.Right;
        int effH = ((kh - 1) * dilation.H) + 1, effW = ((kw - 1) * dilation.W) + 1;
        if (effH > hp || effW > wp)
        {
            throw new ArgumentException($"Conv2dGeneral: the kernel {kh}×{kw} (dilation {dilation.H}×{dilation.W}) does not fit the padded input {hp}×{wp} of {ShapeUtil.Format(x.Dims)}.", nameof(weight));
        }

        if (epilogue is not null && (groups > 1 || stride.H != stride.W || dilation.H != dilation.W))
        {
            // Grouped and depthwise kernels have no fused output pass: one pass over the result.
            CheckInference(x, weight, bias, epilogue);
            var plain = Conv2dGeneral(x, weight, bias, stride, pads, dilation, groups, null);
            epilogue.Check(plain.Dims[0], plain.Dims[1], plain.Dims[2], plain.Dims[3]);
            epilogue.ApplyAll(plain.Buffer, plain.Dims[0], plain.Dims[1], plain.Dims[2] * plain.Dims[3]);
            return plain;
        }
        if (groups > 1 && weight.Dims[1] == 1)
        {
            return DepthwiseConv2d(x, weight, bias, stride, pads, dilation);
        }
        if (groups > 1)
        {
            int cg = c / groups, og = o / groups;
            var parts = new Tensor[groups];
            for (int g = 0; g < groups; g++)
            {
                var xg = Slice(x, 1, g * cg, cg);
                var wg = Slice(weight, 0, g * og, og);
                var bg = bias is null ? null : Slice(bias, 0, g * og, og);
                parts[g] = Conv2dGeneral(xg, wg, bg, stride, pads, dilation, 1);
            }
            return Concat(parts, 1);
        }
        if (stride.H != stride.W || dilation.H != dilation.W)
        {
            throw new NotSupportedException($"Conv2dGeneral: different vertical and horizontal strides ({stride.H}, {stride.W}) or dilations ({dilation.H}, {dilation.W}) are supported only for depthwise convolutions.");
        }
        if (pads.Top == pads.Left && pads.Bottom <= pads.Top && pads.Right <= pads.Left
            && (hp - effH) / stride.H == (x.Dims[2] + (2 * pads.Top) - effH) / stride.H
            && (wp - effW) / stride.W == (x.Dims[3] + (2 * pads.Left) - effW) / stride.W)
        {
            // Padding only the top and left (as CNTK exports stride-2 layers) reads the same windows as padding every
            // side by that much when the output size is the same: the extra bottom and right zeros are never reached.
            // Conv2d pads inside its own scratch buffers, so no padded copy of the input is made.
            return Conv2dCore(x, weight, bias, stride.H, pads.Top, dilation.H, epilogue);
        }
        int p = Math.Min(Math.Min(pads.Top, pads.Bottom), Math.Min(pads.Left, pads.Right));
        var xp = Pad(x, [0, 0, pads.Top - p, pads.Left - p], [0, 0, pads.Bottom - p, pads.Right - p]);
        return Conv2dCore(xp, weight, bias, stride.H, p, dilation.H, epilogue);
    }

    /// <summary>Depthwise convolution: output channel oc reads input channel oc / (O / C) only.</summary>
    private static Tensor DepthwiseConv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) pads, (int H, int W) dilation)
    {
        int n = x.Dims[0], c = x.Dims[1], h = x.Dims[2], w = x.Dims[3];
        int o = weight.Dims[0], kh = weight.Dims[2], kw = weight.Dims[3], mult = o / c;
        int ho = ((h + pads.Top + pads.Bottom - (((kh - 1) * dilation.H) + 1)) / stride.H) + 1;
        int wo = ((w + pads.Left + pads.Right - (((kw - 1) * dilation.W) + 1)) / stride.W) + 1;
        var taps = DepthwiseTaps(h, w, ho, wo, kh, kw, stride, pads, dilation);
        int sh = stride.H, sw = stride.W, hw = h * w, howo = ho * wo, kk = kh * kw;
        var y = TensorBuffers.Zeroed(n * o * howo);
        var xb = x.Buffer;
        int xo = x.Offset;
        var wb = weight.Buffer;
        int wOff = weight.Offset;
        KernelThreads.For(n * o, (_, start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                int oc = plane % o, img = plane / o, ic = oc / mult;
                int yBase = plane * howo, xBase = xo + (((img * c) + ic) * hw), wBase = wOff + (oc * kk);
                if (bias is not null)
                {
                    y.AsSpan(yBase, howo).Fill(bias.Buffer[bias.Offset + oc]);
                }
                foreach (var t in taps)
                {
                    float wv = wb[wBase + t.Tap];
                    for (int oh = t.Oh0; oh < t.Oh1; oh++)
                    {
                        int xrow = xBase + ((t.IhBase + (oh * sh)) * w) + t.IwBase;
                        int yrow = yBase + (oh * wo);
                        for (int ow = t.Ow0; ow < t.Ow1; ow++)
                        {
                            y[yrow + ow] += wv * xb[xrow + (ow * sw)];
                        }
                    }
                }
            }
        });
        var inputs = bias is null ? new[] { x, weight } : new[] { x, weight, bias };
        var xDims = (int[])x.Dims.Clone();
        var wDims = (int[])weight.Dims.Clone();
        return Tensor.Record(y, [n, o, ho, wo], "DepthwiseConv2d", inputs, g =>
        {
            var gb = g.Buffer;
            int go = g.Offset;
            if (x.RequiresGrad)
            {
                var dx = TensorBuffers.Zeroed(x.Size);
                KernelThreads.For(n * c, (_, start, end) =>
                {
                    for (int plane = start; plane < end; plane++)
                    {
                        int ic = plane % c, img = plane / c, dxBase = plane * hw;
                        for (int oc = ic * mult; oc < (ic + 1) * mult; oc++)
                        {
                            int gBase = go + (((img * o) + oc) * howo), wBase = wOff + (oc * kk);
                            foreach (var t in taps)
                            {
                                float wv = wb[wBase + t.Tap];
                                for (int oh = t.Oh0; oh < t.Oh1; oh++)
                                {
                                    int xrow = dxBase + ((t.IhBase + (oh * sh)) * w) + t.IwBase;
                                    int grow = gBase + (oh * wo);
                                    for (int ow = t.Ow0; ow < t.Ow1; ow++)
                                    {
                                        dx[xrow + (ow * sw)] += wv * gb[grow + ow];
                                    }
                                }
                            }
                        }
                    }
                });
                x.AccumulateGrad(new Tensor(dx, xDims));
            }
            if (weight.RequiresGrad || (bias?.RequiresGrad ?? false))
            {
                var dw = TensorBuffers.Zeroed(weight.Size);
                var db = new float[o];
                KernelThreads.For(o, (_, start, end) =>
                {
                    for (int oc = start; oc < end; oc++)
                    {
                        int ic = oc / mult;
                        double bsum = 0;
                        for (int img = 0; img < n; img++)
                        {
                            int gBase = go + (((img * o) + oc) * howo), xBase = xo + (((img * c) + ic) * hw);
                            for (int i = 0; i < howo; i++)
                            {
                                bsum += gb[gBase + i];
                            }
                            foreach (var t in taps)
                            {
                                double acc = 0;
                                for (int oh = t.Oh0; oh < t.Oh1; oh++)
                                {
                                    int xrow = xBase + ((t.IhBase + (oh * sh)) * w) + t.IwBase;
                                    int grow = gBase + (oh * wo);
                                    for (int ow = t.Ow0; ow < t.Ow1; ow++)
                                    {
                                        acc += gb[grow + ow] * xb[xrow + (ow * sw)];
                                    }
                                }
                                dw[(oc * kk) + t.Tap] += (float)acc;
                            }
                        }
                        db[oc] = (float)bsum;
                    }
                });
                weight.AccumulateGrad(new Tensor(dw, wDims));
                bias?.AccumulateGrad(new Tensor(db, [o]));
            }
        });
    }

    /// <summary>For every kernel tap, the output rows and columns whose input position lies inside the image.</summary>
    private static List<DepthwiseTap> DepthwiseTaps(int h, int w, int ho, int wo, int kh, int kw, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) pads, (int H, int W) dilation)
    {
        var taps = new List<DepthwiseTap>(kh * kw);
        for (int i = 0; i < kh; i++)
        {
            int ihBase = (i * dilation.H) - pads.Top;
            var (oh0, oh1) = TapRange(ihBase, stride.H, h, ho);
            for (int j = 0; j < kw; j++)
            {
                int iwBase = (j * dilation.W) - pads.Left;
                var (ow0, ow1) = TapRange(iwBase, stride.W, w, wo);
                if (oh0 < oh1 && ow0 < ow1)
                {
                    taps.Add(new DepthwiseTap((i * kw) + j, oh0, oh1, ow0, ow1, ihBase, iwBase));
                }
            }
        }
        return taps;
    }

    // Outputs o with 0 ≤ base + o·s < size.
    private static (int Start, int End) TapRange(int baseIndex, int s, int size, int count)
    {
        int start = baseIndex >= 0 ? 0 : (-baseIndex + s - 1) / s;
        int end = size - baseIndex <= 0 ? 0 : Math.Min(count, ((size - 1 - baseIndex) / s) + 1);
        return (start, Math.Max(start, end));
    }

    private readonly record struct DepthwiseTap(int Tap, int Oh0, int Oh1, int Ow0, int Ow1, int IhBase, int IwBase);
}
