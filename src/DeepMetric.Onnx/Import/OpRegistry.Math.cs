using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Import;

internal static partial class OpRegistry
{
    private static void AddMath(Dictionary<string, Func<OpContext, NodeKernel>> m)
    {
        m["Relu"] = ctx => (inputs, _) => One(Ops.Relu(Float(inputs, 0, ctx)));
        m["Sigmoid"] = ctx => (inputs, _) => One(Ops.Sigmoid(Float(inputs, 0, ctx)));
        m["Tanh"] = ctx => (inputs, _) => One(Ops.Tanh(Float(inputs, 0, ctx)));
        m["Erf"] = ctx => (inputs, _) => One(Ops.Erf(Float(inputs, 0, ctx)));
        m["Exp"] = ctx => (inputs, _) => One(Ops.Exp(Float(inputs, 0, ctx)));
        m["Sqrt"] = ctx => (inputs, _) => One(Ops.Sqrt(Float(inputs, 0, ctx)));
        m["Neg"] = ctx => (inputs, _) => One(Ops.Neg(Float(inputs, 0, ctx)));
        m["LeakyRelu"] = ctx =>
        {
            float alpha = ctx.Attrs.Float("alpha", 0.01f);
            return (inputs, _) => One(Ops.LeakyRelu(Float(inputs, 0, ctx), alpha));
        };
        m["Clip"] = ctx =>
        {
            float lo = float.NegativeInfinity, hi = float.PositiveInfinity;
            if (ctx.Opset < 11)
            {
                lo = ctx.Attrs.Float("min", lo);
                hi = ctx.Attrs.Float("max", hi);
            }
            return (inputs, _) =>
            {
                var x = Required(inputs, 0, ctx);
                float min = ctx.Opset < 11 ? lo : ScalarOr(At(inputs, 1, ctx), lo);
                float max = ctx.Opset < 11 ? hi : ScalarOr(At(inputs, 2, ctx), hi);
                if (!x.IsFloat)
                {
                    var d = x.AsInts();
                    var r = new long[d.Length];
                    for (int i = 0; i < d.Length; i++)
                    {
                        r[i] = (long)Math.Min(Math.Max(d[i], min), max);
                    }
                    return One(OnnxValue.OfInts(r, x.Dims));
                }
                return One(Ops.Clamp(x.AsTensor(), min, max));
            };
        };
        m["HardSigmoid"] = ctx =>
        {
            float alpha = ctx.Attrs.Float("alpha", 0.2f), beta = ctx.Attrs.Float("beta", 0.5f);
            return (inputs, _) => One(HardSigmoid(Float(inputs, 0, ctx), alpha, beta));
        };
        m["HardSwish"] = ctx => (inputs, _) =>
        {
            var x = Float(inputs, 0, ctx);
            return One(Ops.Mul(x, HardSigmoid(x, 1f / 6f, 0.5f)));
        };
        m["Add"] = ctx => Binary(ctx, Ops.Add, (a, b) => a + b);
        m["Sub"] = ctx => Binary(ctx, Ops.Sub, (a, b) => a - b);
        m["Mul"] = ctx => Binary(ctx, Ops.Mul, (a, b) => a * b);
        m["Div"] = ctx => Binary(ctx, Ops.Div, (a, b) => b == 0 ? 0 : a / b);
        m["Pow"] = ctx => (inputs, _) =>
        {
            var e = Required(inputs, 1, ctx);
            if (e.Size != 1)
            {
                throw ctx.Error("only a scalar exponent is supported");
            }
            return One(Ops.Pow(Float(inputs, 0, ctx), e.AsTensor().ToArray()[0]));
        };
        m["Equal"] = ctx => (inputs, _) =>
        {
            var a = Required(inputs, 0, ctx);
            var b = Required(inputs, 1, ctx);
            if (a.IsFloat || b.IsFloat)
            {
                var eq = Ops.Eq(a.AsTensor().Detach(), b.AsTensor().Detach());
                return One(OnnxValue.OfInts(Array.ConvertAll(eq.ToArray(), v => v != 0 ? 1L : 0L), eq.Shape, isBool: true));
            }
            return One(OnnxValue.OfInts(IntOps.Broadcast(a, b, (p, q) => p == q ? 1 : 0, out var dims), dims, isBool: true));
        };
        m["Where"] = ctx => (inputs, _) =>
        {
            var c = Required(inputs, 0, ctx);
            var a = Required(inputs, 1, ctx);
            var b = Required(inputs, 2, ctx);
            if (!a.IsFloat && !b.IsFloat)
            {
                var dims = IntOps.BroadcastDims(IntOps.BroadcastDims(c.Dims, a.Dims), b.Dims);
                var ci = IntOps.BroadcastIndex(c.Dims, dims);
                var ai = IntOps.BroadcastIndex(a.Dims, dims);
                var bi = IntOps.BroadcastIndex(b.Dims, dims);
                var cd = c.AsInts();
                var ad = a.AsInts();
                var bd = b.AsInts();
                var r = new long[ci.Length];
                for (int i = 0; i < r.Length; i++)
                {
                    r[i] = cd[ci[i]] != 0 ? ad[ai[i]] : bd[bi[i]];
                }
                return One(OnnxValue.OfInts(r, dims, a.IsBool && b.IsBool));
            }
            return One(Ops.Where(c.AsTensor(), a.AsTensor(), b.AsTensor()));
        };
        m["Gemm"] = ctx =>
        {
            float alpha = ctx.Attrs.Float("alpha", 1f), beta = ctx.Attrs.Float("beta", 1f);
            bool ta = ctx.Attrs.Int("transA", 0) != 0, tb = ctx.Attrs.Int("transB", 0) != 0;
            return (inputs, _) =>
            {
                var a = Float(inputs, 0, ctx);
                var b = Float(inputs, 1, ctx);
                if (a.Rank != 2 || b.Rank != 2)
                {
                    throw ctx.Error($"inputs must be matrices, got {Fmt(a)} and {Fmt(b)}");
                }
                var y = Ops.Matmul(a, b, ta, tb);
                if (alpha != 1f)
                {
                    y = Ops.Mul(y, alpha);
                }
                var c = At(inputs, 2, ctx)?.AsTensor();
                if (c is not null && beta != 0f)
                {
                    y = Ops.Add(y, beta == 1f ? c : Ops.Mul(c, beta));
                }
                return One(y);
            };
        };
        m["MatMul"] = ctx => (inputs, _) => One(MatMul(Float(inputs, 0, ctx), Float(inputs, 1, ctx), ctx));
        m["Softmax"] = ctx => SoftmaxLike(ctx, Ops.Softmax);
        m["LogSoftmax"] = ctx => SoftmaxLike(ctx, Ops.LogSoftmax);
        m["LayerNormalization"] = ctx =>
        {
            long axisAttr = ctx.Attrs.Int("axis", -1);
            float eps = ctx.Attrs.Float("epsilon", 1e-5f);
            if (ctx.Attrs.Int("stash_type", 1) != 1)
            {
                throw ctx.Attrs.Unsupported("stash_type", "must be 1 (float statistics)");
            }
            ctx.MaxOutputs(1, "the normalised tensor");
            return (inputs, _) =>
            {
                var x = Float(inputs, 0, ctx);
                int axis = Axis(axisAttr, x.Rank, ctx);
                int rows = 1, d = 1;
                for (int i = 0; i < x.Rank; i++)
                {
                    if (i < axis)
                    {
                        rows *= x.Dim(i);
                    }
                    else
                    {
                        d *= x.Dim(i);
                    }
                }
                var scale = At(inputs, 1, ctx)?.AsTensor();
                var bias = At(inputs, 2, ctx)?.AsTensor();
                var y = Ops.LayerNorm(Ops.Reshape(x, rows, d),
                    scale is null ? null : FlatOrBroadcast(scale, d, ctx), bias is null ? null : FlatOrBroadcast(bias, d, ctx), eps);
                return One(Ops.Reshape(y, x.Shape));
            };
        };
        m["ReduceMean"] = ctx => Reduce(ctx, Ops.Mean, axesMovedToInputAt: 18);
        m["ReduceSum"] = ctx => Reduce(ctx, Ops.Sum, axesMovedToInputAt: 13);
        m["ReduceMax"] = ctx => Reduce(ctx, (x, a, keep, _) => Ops.Max(x, a, keep), axesMovedToInputAt: 18);
        m["ReduceL2"] = ctx =>
        {
            var sumSquares = Reduce(ctx, Ops.Sum, axesMovedToInputAt: 18);
            return (inputs, run) =>
            {
                var x = Float(inputs, 0, ctx);
                var rest = inputs.Length > 1 ? inputs[1..] : [];
                return One(Ops.Sqrt(sumSquares([OnnxValue.Of(Ops.Mul(x, x)), .. rest], run)[0].AsTensor()));
            };
        };
        m["Max"] = ctx => Variadic(ctx, Ops.Maximum);
        m["Min"] = ctx => Variadic(ctx, Ops.Minimum);
        m["Softplus"] = ctx => (inputs, _) => One(Ops.Softplus(Float(inputs, 0, ctx)));
    }

    private static Tensor HardSigmoid(Tensor x, float alpha, float beta) => Ops.Clamp(Ops.Add(Ops.Mul(x, alpha), beta), 0f, 1f);

    private static NodeKernel Binary(OpContext ctx, Func<Tensor, Tensor, Tensor> floats, Func<long, long, long> ints) => (inputs, _) =>
    {
        var a = Required(inputs, 0, ctx);
        var b = Required(inputs, 1, ctx);
        if (!a.IsFloat && !b.IsFloat)
        {
            return One(OnnxValue.OfInts(IntOps.Broadcast(a, b, ints, out var dims), dims));
        }
        return One(floats(a.AsTensor(), b.AsTensor()));
    };

    private static NodeKernel Variadic(OpContext ctx, Func<Tensor, Tensor, Tensor> op) => (inputs, _) =>
    {
        var xs = inputs.Where(v => v is not null).Select(v => v!.AsTensor()).ToList();
        if (xs.Count == 0)
        {
            throw ctx.Error("needs at least one input");
        }
        var y = xs[0];
        for (int i = 1; i < xs.Count; i++)
        {
            y = op(y, xs[i]);
        }
        return One(y);
    };

    private static NodeKernel SoftmaxLike(OpContext ctx, Func<Tensor, int, Tensor> op)
    {
        long axisAttr = ctx.Attrs.Int("axis", ctx.Opset >= 13 ? -1 : 1);
        return (inputs, _) =>
        {
            var x = Float(inputs, 0, ctx);
            int axis = Axis(axisAttr, x.Rank, ctx);
            if (ctx.Opset >= 13 || axis == x.Rank - 1)
            {
                return One(op(x, axis));
            }
            // Before opset 13 the input is coerced to 2-D at the axis and normalised over everything after it.
            int rows = 1;
            for (int i = 0; i < axis; i++)
            {
                rows *= x.Dim(i);
            }
            return One(Ops.Reshape(op(Ops.Reshape(x, rows, x.Size / Math.Max(rows, 1)), 1), x.Shape));
        };
    }

    private static NodeKernel Reduce(OpContext ctx, Func<Tensor, int, bool, Tensor?, Tensor> op, int axesMovedToInputAt)
    {
        var axesAttr = ctx.Opset < axesMovedToInputAt ? ctx.Attrs.Ints("axes") : null;
        bool keep = ctx.Attrs.Int("keepdims", 1) != 0;
        bool noopEmpty = ctx.Opset >= axesMovedToInputAt && ctx.Attrs.Int("noop_with_empty_axes", 0) != 0;
        return (inputs, _) =>
        {
            var x = Float(inputs, 0, ctx);
            var axes = AxesFrom(inputs, 1, axesAttr, ctx);
            if (axes is null || axes.Length == 0)
            {
                if (noopEmpty)
                {
                    return One(x);
                }
                axes = [.. Enumerable.Range(0, x.Rank).Select(i => (long)i)];
            }
            var norm = axes.Select(a => Axis(a, x.Rank, ctx, "reduction axis")).Distinct().OrderDescending().ToArray();
            var y = x;
            foreach (int a in norm)
            {
                y = op(y, a, keep, null);
            }
            return One(y);
        };
    }

    private static Tensor FlatOrBroadcast(Tensor t, int d, OpContext ctx)
    {
        if (t.Size == d)
        {
            return Ops.Reshape(t, d);
        }
        throw ctx.Error($"scale/bias {Fmt(t)} must have the {d} elements of the normalised axes");
    }

    /// <summary>NumPy matmul on the engine's 2-D and batched 3-D products.</summary>
    private static Tensor MatMul(Tensor a, Tensor b, OpContext ctx)
    {
        if (a.Rank == 1)
        {
            var r = MatMul(Ops.Reshape(a, 1, a.Dim(0)), b, ctx);
            return Ops.Squeeze(r, r.Rank - 2);
        }
        if (b.Rank == 1)
        {
            var r = MatMul(a, Ops.Reshape(b, b.Dim(0), 1), ctx);
            return Ops.Squeeze(r, r.Rank - 1);
        }
        if (b.Rank == 2)
        {
            if (a.Rank == 2)
            {
                return Ops.Matmul(a, b);
            }
            var lead = a.Shape[..^1];
            var y = Ops.Matmul(Ops.Reshape(a, a.Size / a.Dim(-1), a.Dim(-1)), b);
            return Ops.Reshape(y, [.. lead, b.Dim(1)]);
        }
        var batchA = a.Shape[..^2];
        var batchB = b.Shape[..^2];
        if (!batchA.AsSpan().SequenceEqual(batchB))
        {
            throw ctx.Error($"batched matmul needs equal batch dimensions, got {Fmt(a)} and {Fmt(b)}");
        }
        int batch = batchA.Aggregate(1, (p, q) => p * q);
        var y3 = Ops.Matmul(Ops.Reshape(a, batch, a.Dim(-2), a.Dim(-1)), Ops.Reshape(b, batch, b.Dim(-2), b.Dim(-1)));
        return Ops.Reshape(y3, [.. batchA, a.Dim(-2), b.Dim(-1)]);
    }
}
