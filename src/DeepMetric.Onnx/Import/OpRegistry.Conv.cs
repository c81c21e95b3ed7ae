using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Import;

internal static partial class OpRegistry
{
    /// <summary>2-D window attributes shared by Conv, MaxPool and AveragePool.</summary>
    private sealed record Window(string AutoPad, long[]? Pads, long[]? Kernel, (int H, int W) Stride, (int H, int W) Dilation)
    {
        public static Window Read(OpContext ctx, bool dilations)
        {
            var a = ctx.Attrs;
            string autoPad = a.String("auto_pad", "NOTSET");
            if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
            {
                throw a.Unsupported("auto_pad", $"has the unknown value '{autoPad}'");
            }
            var pads = a.Ints("pads");
            if (pads is not null && (pads.Length != 4 || pads.Any(p => p < 0)))
            {
                throw a.Unsupported("pads", $"is [{string.Join(", ", pads)}]; only four non-negative 2-D pads are supported");
            }
            var kernel = a.Ints("kernel_shape");
            if (kernel is not null && kernel.Length != 2)
            {
                throw a.Unsupported("kernel_shape", $"is [{string.Join(", ", kernel)}]; only 2-D windows are supported");
            }
            var strides = a.Ints("strides") ?? [1, 1];
            var dil = dilations ? a.Ints("dilations") ?? [1, 1] : [1, 1];
            if (strides.Length != 2 || dil.Length != 2 || strides.Any(s => s < 1) || dil.Any(d => d < 1))
            {
                throw a.Unsupported(strides.Length != 2 ? "strides" : "dilations", "must hold two values ≥ 1 (2-D windows only)");
            }
            return new Window(autoPad, pads, kernel, ((int)strides[0], (int)strides[1]), ((int)dil[0], (int)dil[1]));
        }

        /// <summary>Top, left, bottom and right padding for an input of h×w and a kernel of kh×kw.</summary>
        public (int Top, int Left, int Bottom, int Right) PadsFor(int h, int w, int kh, int kw)
        {
            if (AutoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                var (t, b) = Same(h, kh, Stride.H, Dilation.H, AutoPad == "SAME_UPPER");
                var (l, r) = Same(w, kw, Stride.W, Dilation.W, AutoPad == "SAME_UPPER");
                return (t, l, b, r);
            }
            if (AutoPad == "VALID" || Pads is null)
            {
                return (0, 0, 0, 0);
            }
            return ((int)Pads[0], (int)Pads[1], (int)Pads[2], (int)Pads[3]);
        }

        private static (int Begin, int End) Same(int size, int k, int s, int d, bool upper)
        {
            int outSize = (size + s - 1) / s;
            int total = Math.Max(0, ((outSize - 1) * s) + ((k - 1) * d) + 1 - size);
            int small = total / 2;
            return upper ? (small, total - small) : (total - small, small);
        }
    }

    private static void AddConvAndPool(Dictionary<string, Func<OpContext, NodeKernel>> m)
    {
        m["Conv"] = ctx =>
        {
            var conv = ConvRunner(ctx, out _);
            return (inputs, _) => One(conv(inputs, null));
        };

        m["MaxPool"] = ctx =>
        {
            var win = Window.Read(ctx, dilations: ctx.Opset >= 10);
            bool ceil = ctx.Attrs.Int("ceil_mode", 0) != 0;
            if (ctx.Attrs.Int("storage_order", 0) != 0)
            {
                throw ctx.Attrs.Unsupported("storage_order", "must be 0 (row-major)");
            }
            if (win.Dilation != (1, 1))
            {
                throw ctx.Attrs.Unsupported("dilations", "must be 1 for pooling");
            }
            ctx.MaxOutputs(1, "the pooled values; not the indices");
            var k = win.Kernel ?? throw ctx.Error("attribute 'kernel_shape' is required");
            return (inputs, _) => One(Pool(Float(inputs, 0, ctx), win, k, ceil, max: true, countIncludePad: false, ctx));
        };

        m["AveragePool"] = ctx =>
        {
            var win = Window.Read(ctx, dilations: false);
            bool ceil = ctx.Attrs.Int("ceil_mode", 0) != 0;
            bool include = ctx.Attrs.Int("count_include_pad", 0) != 0;
            var k = win.Kernel ?? throw ctx.Error("attribute 'kernel_shape' is required");
            return (inputs, _) => One(Pool(Float(inputs, 0, ctx), win, k, ceil, max: false, include, ctx));
        };

        m["GlobalAveragePool"] = ctx => (inputs, _) =>
        {
            var x = Float(inputs, 0, ctx);
            if (x.Rank != 4)
            {
                throw ctx.Error($"only [N, C, H, W] inputs are supported, got {Fmt(x)}");
            }
            return One(Ops.Reshape(Ops.Mean(Ops.Reshape(x, x.Dim(0), x.Dim(1), x.Dim(2) * x.Dim(3)), 2), x.Dim(0), x.Dim(1), 1, 1));
        };

        m["GlobalMaxPool"] = ctx => (inputs, _) =>
        {
            var x = Float(inputs, 0, ctx);
            if (x.Rank != 4)
            {
                throw ctx.Error($"only [N, C, H, W] inputs are supported, got {Fmt(x)}");
            }
            return One(Ops.Reshape(Ops.Max(Ops.Reshape(x, x.Dim(0), x.Dim(1), x.Dim(2) * x.Dim(3)), 2), x.Dim(0), x.Dim(1), 1, 1));
        };

        m["BatchNormalization"] = ctx =>
        {
            float eps = ctx.Attrs.Float("epsilon", 1e-5f);
            ctx.Attrs.Ignore("momentum");
            if (ctx.Attrs.Int("spatial", 1) != 1)
            {
                throw ctx.Attrs.Unsupported("spatial", "must be 1 (per-channel statistics)");
            }
            if (ctx.Attrs.Int("training_mode", 0) != 0)
            {
                throw ctx.Attrs.Unsupported("training_mode", "must be 0 (imported batch norms use their stored statistics)");
            }
            ctx.MaxOutputs(1, "the normalised tensor; running-statistics outputs are training-only");
            return (inputs, _) =>
            {
                var x = Float(inputs, 0, ctx);
                if (x.Rank is < 2 or > 4)
                {
                    throw ctx.Error($"input {Fmt(x)} must be [N, C], [N, C, L] or [N, C, H, W]");
                }
                var x4 = x.Rank == 3 ? Ops.Reshape(x, x.Dim(0), x.Dim(1), x.Dim(2), 1) : x;
                // Always the stored statistics: an imported network's batch norms stay frozen (its scale and shift still train).
                var y = Ops.BatchNorm(x4, Float(inputs, 1, ctx), Float(inputs, 2, ctx), Float(inputs, 3, ctx), Float(inputs, 4, ctx), training: false, eps: eps);
                return One(x.Rank == 3 ? Ops.Reshape(y, x.Shape) : y);
            };
        };
    }

    /// <summary>
    /// A Conv node's computation on its inputs (x, W, optional b), with an optional fused inference epilogue; reads and
    /// validates the node's attributes once. <paramref name="outputSide"/> gives the output's height and width for
    /// an input and weight (null when the kernel does not fit).
    /// </summary>
    internal static Func<OnnxValue?[], ConvEpilogue?, Tensor> ConvRunner(OpContext ctx, out Func<Tensor, Tensor, (int H, int W)?> outputSide)
    {
        var win = Window.Read(ctx, dilations: true);
        int groups = (int)ctx.Attrs.Int("group", 1);
        outputSide = (x, w) =>
        {
            if (x.Rank != 4 || w.Rank != 4)
            {
                return null;
            }
            var (t, l, b, r) = win.PadsFor(x.Dim(2), x.Dim(3), w.Dim(2), w.Dim(3));
            int spanH = x.Dim(2) + t + b - (((w.Dim(2) - 1) * win.Dilation.H) + 1);
            int spanW = x.Dim(3) + l + r - (((w.Dim(3) - 1) * win.Dilation.W) + 1);
            return spanH < 0 || spanW < 0 ? null : ((spanH / win.Stride.H) + 1, (spanW / win.Stride.W) + 1);
        };
        return (inputs, epilogue) =>
        {
            var x = Float(inputs, 0, ctx);
            var w = Float(inputs, 1, ctx);
            var b = At(inputs, 2, ctx)?.AsTensor();
            if (x.Rank != 4 || w.Rank != 4)
            {
                throw ctx.Error($"only 2-D convolutions are supported (input {Fmt(x)}, weight {Fmt(w)})");
            }
            if (win.Kernel is not null && (win.Kernel[0] != w.Dim(2) || win.Kernel[1] != w.Dim(3)))
            {
                throw ctx.Error($"kernel_shape [{string.Join(", ", win.Kernel)}] disagrees with the weight {Fmt(w)}");
            }
            if (x.Dim(1) != w.Dim(1) * groups)
            {
                throw ctx.Error($"the input {Fmt(x)} has {x.Dim(1)} channels but the weight {Fmt(w)} with group={groups} expects {w.Dim(1) * groups}");
            }
            var pads = win.PadsFor(x.Dim(2), x.Dim(3), w.Dim(2), w.Dim(3));
            return epilogue is null
                ? Ops.Conv2dGeneral(x, w, b, win.Stride, pads, win.Dilation, groups)
                : Ops.Conv2dInference(x, w, b, win.Stride, pads, win.Dilation, groups, epilogue);
        };
    }

    private static Tensor Pool(Tensor x, Window win, long[] k, bool ceil, bool max, bool countIncludePad, OpContext ctx)
    {
        if (x.Rank != 4)
        {
            throw ctx.Error($"only [N, C, H, W] inputs are supported, got {Fmt(x)}");
        }
        int kh = (int)k[0], kw = (int)k[1], h = x.Dim(2), w = x.Dim(3);
        if (kh != kw || win.Stride.H != win.Stride.W)
        {
            throw ctx.Error($"only square pooling windows with equal strides are supported (kernel {kh}×{kw}, strides {win.Stride.H}×{win.Stride.W})");
        }
        var (pt, pl, pb, pr) = win.PadsFor(h, w, kh, kw);
        int s = win.Stride.H;
        int extraH = ceil ? CeilExtra(h, kh, s, pt, pb) : 0, extraW = ceil ? CeilExtra(w, kw, s, pl, pr) : 0;
        if (h + pt + pb < kh || w + pl + pr < kw)
        {
            throw ctx.Error($"the {kh}×{kw} window does not fit the input {Fmt(x)} with pads ({pt}, {pl}, {pb}, {pr})");
        }
        bool padded = pt + pl + pb + pr + extraH + extraW > 0;
        if (max && pt == pl && pt <= kh / 2 && pb + extraH <= pt && pr + extraW <= pl
            && (h + pt + pb + extraH - kh) / s == (h + (2 * pt) - kh) / s && (w + pl + pr + extraW - kw) / s == (w + (2 * pl) - kw) / s)
        {
            // Top/left-only padding (CNTK's stride-2 pools) reads the same windows as symmetric padding when the output
            // size agrees: pool with the engine's own −∞ padding instead of a padded copy of the input.
            return Ops.MaxPool2d(x, kh, s, pt);
        }
        if (max)
        {
            var xp = padded ? Ops.Pad(x, [0, 0, pt, pl], [0, 0, pb + extraH, pr + extraW], float.NegativeInfinity) : x;
            return Ops.MaxPool2d(xp, kh, s, 0);
        }
        var xz = padded ? Ops.Pad(x, [0, 0, pt, pl], [0, 0, pb + extraH, pr + extraW]) : x;
        var y = Ops.AvgPool2d(xz, kh, s, 0);
        if (!padded || (countIncludePad && extraH + extraW == 0))
        {
            return y;
        }
        // Divide by the number of counted positions per window instead of kernel²: a pooled mask gives that fraction.
        int hp = h + pt + pb + extraH, wp = w + pl + pr + extraW;
        var mask = new float[hp * wp];
        int r0 = countIncludePad ? 0 : pt, r1 = countIncludePad ? h + pt + pb : pt + h;
        int c0 = countIncludePad ? 0 : pl, c1 = countIncludePad ? w + pl + pr : pl + w;
        for (int r = r0; r < r1; r++)
        {
            for (int c = c0; c < c1; c++)
            {
                mask[(r * wp) + c] = 1f;
            }
        }
        var fraction = Ops.AvgPool2d(Tensor.FromArray(mask, 1, 1, hp, wp), kh, s, 0);
        return Ops.Div(y, fraction);
    }

    // Extra end padding so the output has ceil((size + pads − k) / s) + 1 positions, dropping a last window that
    // would start inside the end padding (as ONNX Runtime and PyTorch do).
    private static int CeilExtra(int size, int k, int s, int begin, int end)
    {
        int span = size + begin + end - k;
        int outCeil = ((span + s - 1) / s) + 1;
        if ((outCeil - 1) * s >= size + begin)
        {
            outCeil--;
        }
        return Math.Max(0, ((outCeil - 1) * s) + k - (size + begin + end));
    }

    private static string Fmt(Tensor t) => $"[{string.Join(", ", t.Shape)}]";
}
