using DeepMetric.Onnx.Proto;

namespace DeepMetric.Onnx.Backbones;

/// <summary>
/// Rewrites a backbone graph that ends in average pooling so that its output is the feature vector a
/// <see cref="BackboneFeatures"/> asks for. Only standard ONNX nodes are added, so the result imports, trains and
/// exports like any graph.
/// </summary>
internal static class BackboneGraphRewriter
{
    /// <summary>
    /// Rewrites <paramref name="model"/> in place: optionally reads its last AveragePool as GlobalAveragePool (a fixed
    /// 7×7 window fits only 224 px inputs), then adds GeM pooling and/or the previous stage's pooled map.
    /// </summary>
    /// <exception cref="OnnxImportException">The graph does not end in average pooling, or (two stages) has no
    /// strided convolution to find the previous stage by.</exception>
    public static void Rewrite(ModelProto model, BackboneFeatures features, bool globalFinalPool, string source)
    {
        var nodes = model.Graph.Node;
        int poolAt = -1;
        for (int i = nodes.Count - 1; i >= 0 && poolAt < 0; i--)
        {
            if (nodes[i].OpType is "AveragePool" or "GlobalAveragePool")
            {
                poolAt = i;
            }
        }
        if (poolAt < 0)
        {
            if (globalFinalPool || !features.IsPlain)
            {
                throw new OnnxImportException($"'{source}': backbone features {features} need a graph that ends in average pooling; this one has no AveragePool or GlobalAveragePool node.");
            }
            return;
        }
        var pool = nodes[poolAt];
        if (globalFinalPool || !features.IsPlain)
        {
            pool.OpType = "GlobalAveragePool";
            pool.Attribute.Clear();
        }
        if (features.IsPlain)
        {
            return;
        }
        int opset = (int)model.OpsetImport.First(o => o.Domain is "" or "ai.onnx").Version;
        var added = new List<NodeProto>();
        int counter = 0;
        string Fresh(string what) => $"deepmetric_{what}_{counter++}";
        string Node(string op, IEnumerable<string> inputs, params AttributeProto[] attributes)
        {
            var n = new NodeProto { OpType = op, Name = Fresh(op.ToLowerInvariant()) };
            n.Input.AddRange(inputs);
            n.Output.Add(Fresh("value"));
            n.Attribute.AddRange(attributes);
            added.Add(n);
            return n.Output[0];
        }
        string FloatConstant(float value)
        {
            var t = new TensorProto { Name = Fresh("constant"), DataType = (int)TensorProto.Types.DataType.Float };
            t.FloatData.Add(value);
            model.Graph.Initializer.Add(t);
            return t.Name;
        }
        string Floor(string x, float min) => opset < 11
            ? Node("Clip", [x], new AttributeProto { Name = "min", Type = AttributeProto.Types.AttributeType.Float, F = min })
            : Node("Clip", [x, FloatConstant(min)]);
        string Pool(string map) => features.Gem
            // GeM: (mean over positions of x^p)^(1/p); the floor keeps the root's gradient finite.
            ? Node("Pow", [Node("GlobalAveragePool", [Node("Pow", [Floor(map, 1e-6f), FloatConstant(BackboneFeatures.GemPower)])]), FloatConstant(1f / BackboneFeatures.GemPower)])
            : Node("GlobalAveragePool", [map]);
        string L2Normalized(string v)
        {
            string norm;
            if (opset < 18)
            {
                norm = Node("ReduceL2", [v], new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1L } },
                    new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            }
            else
            {
                var axes = new TensorProto { Name = Fresh("axes"), DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1L }, Int64Data = { 1L } };
                model.Graph.Initializer.Add(axes);
                norm = Node("ReduceL2", [v, axes.Name], new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            }
            return Node("Div", [v, Floor(norm, 1e-12f)]);
        }

        string last = features.Gem ? Pool(pool.Input[0]) : pool.Output[0];
        string output = last;
        if (features.Stages == 2)
        {
            // The previous stage's output is what the last strided convolution reads (in a ResNet both the first 3×3
            // convolution of the last stage and its 1×1 shortcut projection read it).
            var strided = nodes.Take(poolAt).LastOrDefault(n => n.OpType == "Conv" && n.Attribute.Any(a => a.Name == "strides" && a.Ints.Any(s => s > 1)))
                ?? throw new OnnxImportException($"'{source}': backbone features {features} need the previous stage, found before the last strided Conv; this graph has no strided Conv before its final pooling.");
            string previous = Pool(strided.Input[0]);
            output = Node("Concat", [L2Normalized(previous), L2Normalized(last)], new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        }
        // New nodes go right after the pool (everything they read exists by then); the graph output becomes theirs.
        for (int i = 0; i < added.Count; i++)
        {
            nodes.Insert(poolAt + 1 + i, added[i]);
        }
        var info = new ValueInfoProto { Name = output };
        model.Graph.Output.Clear();
        model.Graph.Output.Add(info);
    }
}
