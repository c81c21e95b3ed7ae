using DeepMetric.Onnx.Proto;
using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Import;

internal static partial class OpRegistry
{
    private static void AddShape(Dictionary<string, Func<OpContext, NodeKernel>> m)
    {
        m["Identity"] = ctx => (inputs, _) => One(Required(inputs, 0, ctx));
        m["Dropout"] = ctx =>
        {
            // Inference: the identity. The ratio is irrelevant; a training-mode input or the mask output is not supported.
            ctx.Attrs.Ignore("ratio");
            ctx.Attrs.Ignore("seed");
            ctx.MaxOutputs(1, "the output; not the mask");
            return (inputs, _) => One(Required(inputs, 0, ctx));
        };
        m["Constant"] = ctx =>
        {
            var value = ConstantValue(ctx);
            return (_, _) => One(value);
        };
        m["Shape"] = ctx =>
        {
            long start = ctx.Attrs.Int("start", 0);
            long? end = ctx.Attrs.Has("end") ? ctx.Attrs.Int("end", 0) : null;
            return (inputs, _) =>
            {
                var dims = Required(inputs, 0, ctx).Dims;
                int r = dims.Length;
                int s = (int)Math.Clamp(start < 0 ? start + r : start, 0, r);
                int e = (int)Math.Clamp(end is long en ? (en < 0 ? en + r : en) : r, 0, r);
                var data = new long[Math.Max(0, e - s)];
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = dims[s + i];
                }
                return One(OnnxValue.OfInts(data, [data.Length]));
            };
        };
        m["ConstantOfShape"] = ctx =>
        {
            var fill = ctx.Attrs.Tensor("value") is { } t ? TensorProtoReader.Read(t, ctx.Where) : OnnxValue.Of(Tensor.Zeros(1));
            return (inputs, _) =>
            {
                var dims = Required(inputs, 0, ctx).AsInt32s();
                int n = OnnxValue.ShapeOf(dims);
                if (fill.IsFloat)
                {
                    return One(Tensor.Full(fill.AsTensor().ToArray()[0], dims));
                }
                var data = new long[n];
                Array.Fill(data, fill.AsInts()[0]);
                return One(OnnxValue.OfInts(data, dims, fill.IsBool));
            };
        };
        m["Cast"] = ctx =>
        {
            long to = ctx.Attrs.Int("to", 0);
            ctx.Attrs.Ignore("saturate");
            var type = (TensorProto.Types.DataType)to;
            return (inputs, _) =>
            {
                var x = Required(inputs, 0, ctx);
                switch (type)
                {
                    case TensorProto.Types.DataType.Float:
                    case TensorProto.Types.DataType.Double:
                    case TensorProto.Types.DataType.Float16:
                        return One(x.AsTensor());
                    case TensorProto.Types.DataType.Bool:
                        return One(OnnxValue.OfInts(Array.ConvertAll(x.AsInts(), v => v != 0 ? 1L : 0L), x.Dims, isBool: true));
                    case TensorProto.Types.DataType.Int64:
                    case TensorProto.Types.DataType.Int32:
                    case TensorProto.Types.DataType.Int16:
                    case TensorProto.Types.DataType.Int8:
                    case TensorProto.Types.DataType.Uint8:
                        return One(OnnxValue.OfInts(x.AsInts(), x.Dims));
                    default:
                        throw ctx.Attrs.Unsupported("to", $"asks for element type {type}, which is not supported");
                }
            };
        };
        m["Flatten"] = ctx =>
        {
            long axisAttr = ctx.Attrs.Int("axis", 1);
            return (inputs, _) =>
            {
                var x = Required(inputs, 0, ctx);
                int r = x.Dims.Length;
                long a = axisAttr < 0 ? axisAttr + r : axisAttr;
                if (a < 0 || a > r)
                {
                    throw ctx.Error($"axis {axisAttr} is out of range for rank {r}");
                }
                int outer = 1;
                for (int i = 0; i < a; i++)
                {
                    outer *= x.Dims[i];
                }
                return One(Reshaped(x, [outer, outer == 0 ? 0 : x.Size / outer]));
            };
        };
        m["Reshape"] = ctx =>
        {
            bool allowZero = ctx.Attrs.Int("allowzero", 0) != 0;
            return (inputs, run) =>
            {
                var x = Required(inputs, 0, ctx);
                var target = run.AdaptBatch(Required(inputs, 1, ctx).AsInt32s(), x.Dims);
                return One(Reshaped(x, ResolveShape(target, x, allowZero, ctx)));
            };
        };
        m["Transpose"] = ctx =>
        {
            var permAttr = ctx.Attrs.Ints("perm");
            return (inputs, _) =>
            {
                var x = Required(inputs, 0, ctx);
                int r = x.Dims.Length;
                var perm = permAttr is null ? [.. Enumerable.Range(0, r).Reverse()] : permAttr.Select(p => Axis(p, r, ctx, "perm entry")).ToArray();
                if (perm.Length != r || perm.Distinct().Count() != r)
                {
                    throw ctx.Attrs.Unsupported("perm", $"is not a permutation of the {r} axes");
                }
                if (x.IsFloat)
                {
                    return One(Ops.Permute(x.AsTensor(), perm));
                }
                var data = IntOps.Permute(x.AsInts(), x.Dims, perm, out var dims);
                return One(OnnxValue.OfInts(data, dims, x.IsBool));
            };
        };
        m["Concat"] = ctx =>
        {
            long axisAttr = ctx.Attrs.Int("axis", ctx.Opset >= 11 ? long.MinValue : 1);
            if (axisAttr == long.MinValue)
            {
                throw ctx.Error("attribute 'axis' is required");
            }
            return (inputs, _) =>
            {
                var parts = inputs.Where(v => v is not null).Select(v => v!).ToList();
                if (parts.Count == 0)
                {
                    throw ctx.Error("needs at least one input");
                }
                int axis = Axis(axisAttr, parts[0].Dims.Length, ctx);
                if (parts.Any(p => p.IsFloat))
                {
                    return One(Ops.Concat(parts.Select(p => p.AsTensor()).ToList(), axis));
                }
                var data = IntOps.Concat(parts, axis, out var dims);
                return One(OnnxValue.OfInts(data, dims, parts[0].IsBool));
            };
        };
        m["Split"] = ctx =>
        {
            long axisAttr = ctx.Attrs.Int("axis", 0);
            var splitAttr = ctx.Opset < 13 ? ctx.Attrs.Ints("split") : null;
            long numOutputs = ctx.Opset >= 18 ? ctx.Attrs.Int("num_outputs", 0) : 0;
            int outputs = ctx.Node.Output.Count;
            return (inputs, _) =>
            {
                var x = Required(inputs, 0, ctx);
                int axis = Axis(axisAttr, x.Dims.Length, ctx);
                int n = x.Dims[axis];
                var sizes = splitAttr ?? At(inputs, 1, ctx)?.AsInts();
                int[] lengths;
                if (sizes is not null)
                {
                    lengths = [.. sizes.Select(s => (int)s)];
                }
                else
                {
                    int parts = numOutputs > 0 ? (int)numOutputs : outputs;
                    int chunk = (n + parts - 1) / parts;
                    lengths = [.. Enumerable.Range(0, parts).Select(i => Math.Max(0, Math.Min(chunk, n - (i * chunk))))];
                }
                if (lengths.Sum() != n || lengths.Length != outputs)
                {
                    throw ctx.Error($"split sizes [{string.Join(", ", lengths)}] do not cover axis {axis} of length {n} in {outputs} outputs");
                }
                var result = new OnnxValue[outputs];
                int start = 0;
                for (int i = 0; i < outputs; i++)
                {
                    result[i] = SliceAxis(x, axis, start, lengths[i]);
                    start += lengths[i];
                }
                return result;
            };
        };
        m["Slice"] = ctx =>
        {
            long[]? sAttr = null, eAttr = null, aAttr = null;
            if (ctx.Opset < 10)
            {
                sAttr = ctx.Attrs.Ints("starts") ?? throw ctx.Error("attribute 'starts' is required");
                eAttr = ctx.Attrs.Ints("ends") ?? throw ctx.Error("attribute 'ends' is required");
                aAttr = ctx.Attrs.Ints("axes");
            }
            return (inputs, _) =>
            {
                var x = Required(inputs, 0, ctx);
                var starts = sAttr ?? Required(inputs, 1, ctx).AsInts();
                var ends = eAttr ?? Required(inputs, 2, ctx).AsInts();
                var axes = aAttr ?? At(inputs, 3, ctx)?.AsInts() ?? [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
                var steps = ctx.Opset >= 10 ? At(inputs, 4, ctx)?.AsInts() : null;
                if (ends.Length != starts.Length || axes.Length != starts.Length || (steps is not null && steps.Length != starts.Length))
                {
                    throw ctx.Error("starts, ends, axes and steps must have the same length");
                }
                var y = x;
                for (int i = 0; i < starts.Length; i++)
                {
                    int axis = Axis(axes[i], x.Dims.Length, ctx);
                    long step = steps?[i] ?? 1;
                    if (step == 0)
                    {
                        throw ctx.Error("a slice step of 0 is invalid");
                    }
                    int n = y.Dims[axis];
                    long s = starts[i] < 0 ? starts[i] + n : starts[i];
                    long e = ends[i] < 0 ? ends[i] + n : ends[i];
                    if (step > 0)
                    {
                        s = Math.Clamp(s, 0, n);
                        e = Math.Clamp(e, 0, n);
                        if (step == 1)
                        {
                            y = SliceAxis(y, axis, (int)s, (int)Math.Max(0, e - s));
                            continue;
                        }
                    }
                    else
                    {
                        s = Math.Clamp(s, -1, n - 1);
                        e = Math.Clamp(e, -1, n - 1);
                    }
                    var idx = new List<int>();
                    for (long k = s; step > 0 ? k < e : k > e; k += step)
                    {
                        idx.Add((int)k);
                    }
                    y = TakeAxis(y, axis, [.. idx]);
                }
                return One(y);
            };
        };
        m["Gather"] = ctx =>
        {
            long axisAttr = ctx.Attrs.Int("axis", 0);
            return (inputs, _) =>
            {
                var x = Required(inputs, 0, ctx);
                var ind = Required(inputs, 1, ctx);
                int axis = Axis(axisAttr, x.Dims.Length, ctx);
                int n = x.Dims[axis];
                var idx = ind.AsInts().Select(i => (int)(i < 0 ? i + n : i)).ToArray();
                if (idx.Any(i => i < 0 || i >= n))
                {
                    throw ctx.Error($"an index is out of range for axis {axis} of length {n}");
                }
                var taken = TakeAxis(x, axis, idx);
                int[] dims = [.. x.Dims[..axis], .. ind.Dims, .. x.Dims[(axis + 1)..]];
                return One(Reshaped(taken, dims));
            };
        };
        m["Pad"] = ctx =>
        {
            string mode = ctx.Attrs.String("mode", "constant");
            if (mode != "constant")
            {
                throw ctx.Attrs.Unsupported("mode", $"'{mode}' is not supported (only 'constant')");
            }
            long[]? padsAttr = ctx.Opset < 11 ? ctx.Attrs.Ints("pads") ?? throw ctx.Error("attribute 'pads' is required") : null;
            float valueAttr = ctx.Opset < 11 ? ctx.Attrs.Float("value", 0f) : 0f;
            return (inputs, _) =>
            {
                var x = Float(inputs, 0, ctx);
                var pads = padsAttr ?? Required(inputs, 1, ctx).AsInts();
                float value = ctx.Opset < 11 ? valueAttr : ScalarOr(At(inputs, 2, ctx), 0f);
                int r = x.Rank;
                var axes = ctx.Opset >= 18 ? At(inputs, 3, ctx)?.AsInts() : null;
                var axisList = axes?.Select(a => Axis(a, r, ctx)).ToArray() ?? [.. Enumerable.Range(0, r)];
                if (pads.Length != 2 * axisList.Length)
                {
                    throw ctx.Error($"pads has {pads.Length} entries but {axisList.Length} axes are padded");
                }
                var before = new int[r];
                var after = new int[r];
                for (int i = 0; i < axisList.Length; i++)
                {
                    before[axisList[i]] = (int)pads[i];
                    after[axisList[i]] = (int)pads[i + axisList.Length];
                }
                if (before.Any(p => p < 0) || after.Any(p => p < 0))
                {
                    throw ctx.Error("negative pads (cropping) are not supported");
                }
                return One(Ops.Pad(x, before, after, value));
            };
        };
        m["Expand"] = ctx => (inputs, _) =>
        {
            var x = Required(inputs, 0, ctx);
            var dims = IntOps.BroadcastDims(x.Dims, Required(inputs, 1, ctx).AsInt32s());
            if (x.IsFloat)
            {
                return One(dims.AsSpan().SequenceEqual(x.Dims) ? x.AsTensor() : Ops.Add(x.AsTensor(), Tensor.Zeros(dims)));
            }
            var src = x.AsInts();
            return One(OnnxValue.OfInts(Array.ConvertAll(IntOps.BroadcastIndex(x.Dims, dims), i => src[i]), dims, x.IsBool));
        };
        m["Unsqueeze"] = ctx =>
        {
            var axesAttr = ctx.Opset < 13 ? ctx.Attrs.Ints("axes") ?? throw ctx.Error("attribute 'axes' is required") : null;
            return (inputs, _) =>
            {
                var x = Required(inputs, 0, ctx);
                var axes = axesAttr ?? Required(inputs, 1, ctx).AsInts();
                int r = x.Dims.Length + axes.Length;
                var set = axes.Select(a => Axis(a, r, ctx)).ToHashSet();
                var dims = new int[r];
                int k = 0;
                for (int i = 0; i < r; i++)
                {
                    dims[i] = set.Contains(i) ? 1 : x.Dims[k++];
                }
                return One(Reshaped(x, dims));
            };
        };
        m["Squeeze"] = ctx =>
        {
            var axesAttr = ctx.Opset < 13 ? ctx.Attrs.Ints("axes") : null;
            return (inputs, _) =>
            {
                var x = Required(inputs, 0, ctx);
                var axes = AxesFrom(inputs, 1, axesAttr, ctx);
                var set = axes?.Select(a => Axis(a, x.Dims.Length, ctx)).ToHashSet();
                var dims = new List<int>();
                for (int i = 0; i < x.Dims.Length; i++)
                {
                    bool drop = set is null ? x.Dims[i] == 1 : set.Contains(i);
                    if (drop && x.Dims[i] != 1)
                    {
                        throw ctx.Error($"axis {i} has length {x.Dims[i]} and cannot be squeezed");
                    }
                    if (!drop)
                    {
                        dims.Add(x.Dims[i]);
                    }
                }
                return One(Reshaped(x, [.. dims]));
            };
        };
    }

    private static OnnxValue ConstantValue(OpContext ctx)
    {
        var a = ctx.Attrs;
        if (a.Tensor("value") is { } t)
        {
            return TensorProtoReader.Read(t, ctx.Where);
        }
        if (a.Has("value_float"))
        {
            return OnnxValue.Of(Tensor.FromArray([a.Float("value_float", 0f)]));
        }
        if (a.Floats("value_floats") is { } fs)
        {
            return OnnxValue.Of(Tensor.FromArray(fs, fs.Length));
        }
        if (a.Has("value_int"))
        {
            return OnnxValue.OfInts([a.Int("value_int", 0)], []);
        }
        if (a.Ints("value_ints") is { } ints)
        {
            return OnnxValue.OfInts(ints, [ints.Length]);
        }
        throw ctx.Error("needs a 'value', 'value_float(s)' or 'value_int(s)' attribute (sparse and string constants are not supported)");
    }

    private static int[] ResolveShape(int[] target, OnnxValue x, bool allowZero, OpContext ctx)
    {
        var dims = (int[])target.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == 0 && !allowZero)
            {
                if (i >= x.Dims.Length)
                {
                    throw ctx.Error($"shape entry {i} is 0 (copy) but the input has rank {x.Dims.Length}");
                }
                dims[i] = x.Dims[i];
            }
            if (dims[i] == -1)
            {
                if (infer >= 0)
                {
                    throw ctx.Error("the target shape has more than one -1");
                }
                infer = i;
                continue;
            }
            known *= dims[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Size % known != 0)
            {
                throw ctx.Error($"cannot reshape {x} to [{string.Join(", ", target)}]");
            }
            dims[infer] = x.Size / known;
        }
        if (OnnxValue.ShapeOf(dims) != x.Size)
        {
            throw ctx.Error($"cannot reshape {x} ({x.Size} elements) to [{string.Join(", ", dims)}]");
        }
        return dims;
    }

    private static OnnxValue Reshaped(OnnxValue x, int[] dims) =>
        x.IsFloat ? OnnxValue.Of(Ops.Reshape(x.AsTensor(), dims)) : OnnxValue.OfInts(x.AsInts(), dims, x.IsBool);

    private static OnnxValue SliceAxis(OnnxValue x, int axis, int start, int length)
    {
        if (x.IsFloat)
        {
            return OnnxValue.Of(Ops.Slice(x.AsTensor(), axis, start, length));
        }
        return TakeAxis(x, axis, [.. Enumerable.Range(start, length)]);
    }

    private static OnnxValue TakeAxis(OnnxValue x, int axis, int[] idx)
    {
        if (x.IsFloat)
        {
            return OnnxValue.Of(Ops.IndexSelect(x.AsTensor(), axis, idx));
        }
        var dims = (int[])x.Dims.Clone();
        dims[axis] = idx.Length;
        return OnnxValue.OfInts(IntOps.Take(x.AsInts(), x.Dims, axis, idx), dims, x.IsBool);
    }
}
