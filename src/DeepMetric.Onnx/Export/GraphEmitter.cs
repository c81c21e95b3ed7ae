using System.Runtime.InteropServices;
using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Proto;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Training;
using Google.Protobuf;

namespace DeepMetric.Onnx.Export;

/// <summary>Appends the ONNX nodes and initializers of modules to a graph, one module at a time.</summary>
internal sealed class GraphEmitter
{
    private int _counter;

    public GraphProto Graph { get; } = new();

    /// <summary>Emits <paramref name="module"/> applied to the value <paramref name="x"/>; returns the output value's name.</summary>
    public string Emit(Module module, string x)
    {
        switch (module)
        {
            case EmbeddingModel em:
                return Emit(em.Embedder, Emit(em.Trunk, x));
            case Sequential seq:
                foreach (var m in seq)
                {
                    x = Emit(m, x);
                }
                return x;
            case Residual res:
                return Node("Add", [Emit(res.Body, x), res.Shortcut is null ? x : Emit(res.Shortcut, x)]);
            case Linear lin:
                return lin.Bias is null
                    ? Node("MatMul", [x, Weight(Ops.Transpose(lin.Weight.Detach()), "linear_weight_t")])
                    : Node("Gemm", [x, Weight(lin.Weight, "linear_weight"), Weight(lin.Bias, "linear_bias")], Int("transB", 1));
            case Conv2d conv:
            {
                var inputs = new List<string> { x, Weight(conv.Weight, "conv_weight") };
                if (conv.Bias is not null)
                {
                    inputs.Add(Weight(conv.Bias, "conv_bias"));
                }
                int p = conv.Padding;
                return Node("Conv", [.. inputs], Ints("kernel_shape", conv.Weight.Dim(2), conv.Weight.Dim(3)), Ints("strides", conv.Stride, conv.Stride),
                    Ints("pads", p, p, p, p), Ints("dilations", conv.Dilation, conv.Dilation));
            }
            case BatchNormBase bn:
            {
                var scale = bn.Weight ?? Tensor.Ones(bn.NumFeatures);
                var shift = bn.Bias ?? Tensor.Zeros(bn.NumFeatures);
                return Node("BatchNormalization", [x, Weight(scale, "bn_scale"), Weight(shift, "bn_shift"), Weight(bn.RunningMean, "bn_mean"), Weight(bn.RunningVar, "bn_var")],
                    Float("epsilon", bn.Eps));
            }
            case LayerNorm ln:
            {
                var scale = ln.Weight ?? Tensor.Ones(ln.NormalizedSize);
                var inputs = new List<string> { x, Weight(scale, "ln_scale") };
                if (ln.Bias is not null)
                {
                    inputs.Add(Weight(ln.Bias, "ln_bias"));
                }
                return Node("LayerNormalization", [.. inputs], Int("axis", -1), Float("epsilon", ln.Eps));
            }
            case ReLU:
                return Node("Relu", [x]);
            case Sigmoid:
                return Node("Sigmoid", [x]);
            case Tanh:
                return Node("Tanh", [x]);
            case Softplus:
                return Node("Softplus", [x]);
            case LeakyReLU lr:
                return Node("LeakyRelu", [x], Float("alpha", lr.NegativeSlope));
            case GELU:
            {
                // Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)): opset 17 has no Gelu op.
                var erf = Node("Erf", [Node("Div", [x, Scalar(MathF.Sqrt(2f))])]);
                return Node("Mul", [Node("Mul", [x, Scalar(0.5f)]), Node("Add", [erf, Scalar(1f)])]);
            }
            case Identity:
            case Dropout:
                return x;
            case MaxPool2d mp:
                return Node("MaxPool", [x], Ints("kernel_shape", mp.Kernel, mp.Kernel), Ints("strides", mp.Stride, mp.Stride), Ints("pads", mp.Padding, mp.Padding, mp.Padding, mp.Padding));
            case AvgPool2d ap:
                return Node("AveragePool", [x], Ints("kernel_shape", ap.Kernel, ap.Kernel), Ints("strides", ap.Stride, ap.Stride),
                    Ints("pads", ap.Padding, ap.Padding, ap.Padding, ap.Padding), Int("count_include_pad", 1));
            case GlobalAvgPool2d:
                return Node("Flatten", [Node("GlobalAveragePool", [x])], Int("axis", 1));
            case Flatten fl:
                return fl.StartAxis == 1
                    ? Node("Flatten", [x], Int("axis", 1))
                    : Node("Reshape", [x, IntConst([.. Enumerable.Repeat(0L, fl.StartAxis), -1])]);
            case L2Normalize l2:
            {
                // x / max(‖x‖, eps) along the axis, as Ops.L2Normalize.
                var norm = Node("ReduceL2", [x], Ints("axes", l2.Axis), Int("keepdims", 1));
                return Node("Div", [x, Node("Max", [norm, Scalar(l2.Eps)])]);
            }
            case RandomProjection rp:
                return Node("MatMul", [Node("Flatten", [x], Int("axis", 1)), Weight(rp.Matrix, "projection")]);
            case OnnxModule onnx:
                return Inline(onnx, x);
            default:
                throw new NotSupportedException($"ONNX export does not support the layer {module.GetType().Name} ({module}).");
        }
    }

    /// <summary>Re-emits an imported graph at opset 17 with its current weights, reading <paramref name="x"/> as its input.</summary>
    private string Inline(OnnxModule onnx, string x)
    {
        if (onnx.Opset > OnnxExporter.Opset)
        {
            throw new NotSupportedException($"ONNX export writes opset {OnnxExporter.Opset}; the imported graph {onnx} uses opset {onnx.Opset}, which cannot be rewritten to an older opset.");
        }
        string prefix = $"m{_counter++}_";
        var names = new Dictionary<string, string>(StringComparer.Ordinal) { [onnx.InputName] = x };
        foreach (var (name, t) in onnx.Weights)
        {
            names[name] = Weight(t, prefix + name);
        }
        var declared = onnx.DeclaredInputShape;
        int? fixedBatch = declared.Length > 0 && declared[0] > 0 ? declared[0] : null;
        string Map(string name)
        {
            if (name.Length == 0)
            {
                return name;
            }
            if (names.TryGetValue(name, out var mapped))
            {
                return mapped;
            }
            if (onnx.Constants.TryGetValue(name, out var c))
            {
                return names[name] = Constant(c, prefix + name);
            }
            return names[name] = prefix + name;
        }
        var upgrader = new NodeUpgrader(this, onnx.Opset, fixedBatch, onnx.Constants);
        foreach (var compiled in onnx.Nodes)
        {
            var node = compiled.Proto.Clone();
            var inputs = node.Input.ToArray();
            node.Input.Clear();
            node.Input.AddRange(inputs.Select(Map));
            var outputs = node.Output.ToArray();
            node.Output.Clear();
            node.Output.AddRange(outputs.Select(Map));
            node.Name = prefix + node.Name;
            upgrader.Add(node, inputs);
        }
        return Map(onnx.OutputName);
    }

    // ---- building blocks --------------------------------------------------------------------------------------------

    public string Fresh(string hint) => $"{hint}_{_counter++}";

    public string Node(string op, string[] inputs, params AttributeProto[] attrs)
    {
        var y = Fresh(op.ToLowerInvariant());
        var n = new NodeProto { OpType = op, Name = y };
        n.Input.AddRange(inputs);
        n.Output.Add(y);
        n.Attribute.AddRange(attrs);
        Graph.Node.Add(n);
        return y;
    }

    public void AddNode(NodeProto node) => Graph.Node.Add(node);

    public void Rename(string from, string to) => Graph.Node.Add(new NodeProto { OpType = "Identity", Name = Fresh("output"), Input = { from }, Output = { to } });

    public string Weight(Tensor t, string hint)
    {
        var name = Fresh(hint);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(t.Shape.Select(d => (long)d));
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(t.ToArray().AsSpan()));
        Graph.Initializer.Add(proto);
        return name;
    }

    public string Scalar(float v) => Weight(Tensor.Scalar(v), "c");

    public string IntConst(long[] values, int[]? dims = null)
    {
        var name = Fresh("shape");
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.AddRange((dims ?? [values.Length]).Select(d => (long)d));
        proto.Int64Data.AddRange(values);
        Graph.Initializer.Add(proto);
        return name;
    }

    private string Constant(OnnxValue v, string hint)
    {
        if (v.IsFloat)
        {
            return Weight(v.AsTensor(), hint);
        }
        var name = Fresh(hint);
        var proto = new TensorProto { Name = name, DataType = (int)(v.IsBool ? TensorProto.Types.DataType.Bool : TensorProto.Types.DataType.Int64) };
        proto.Dims.AddRange(v.Dims.Select(d => (long)d));
        if (v.IsBool)
        {
            proto.Int32Data.AddRange(v.AsInts().Select(b => (int)b));
        }
        else
        {
            proto.Int64Data.AddRange(v.AsInts());
        }
        Graph.Initializer.Add(proto);
        return name;
    }

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static ValueInfoProto ValueInfo(string name, object?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                int v => new TensorShapeProto.Types.Dimension { DimValue = v },
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                _ => new TensorShapeProto.Types.Dimension(),
            });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
