using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Proto;

namespace DeepMetric.Onnx.Export;

/// <summary>
/// Rewrites nodes of an imported graph from its opset to <see cref="OnnxExporter.Opset"/>: attributes that later
/// opsets take as inputs become constant inputs, ops whose semantics changed are re-expressed, and a reshape
/// target copied from a fixed-batch file gets a dynamic batch.
/// </summary>
internal sealed class NodeUpgrader(GraphEmitter emitter, int fromOpset, int? fixedBatch, IReadOnlyDictionary<string, OnnxValue> constants)
{
    /// <param name="node">The node with its value names already mapped into the exported graph.</param>
    /// <param name="originalInputs">Its input names in the imported graph (to look up folded constants).</param>
    public void Add(NodeProto node, string[] originalInputs)
    {
        switch (node.OpType)
        {
            case "BatchNormalization":
                Drop(node, "spatial");
                break;
            case "Dropout":
                node.OpType = "Identity";
                node.Attribute.Clear();
                while (node.Input.Count > 1)
                {
                    node.Input.RemoveAt(node.Input.Count - 1);
                }
                while (node.Output.Count > 1)
                {
                    node.Output.RemoveAt(node.Output.Count - 1);
                }
                break;
            case "Clip" when fromOpset < 11:
            {
                float lo = Take(node, "min")?.F ?? float.NegativeInfinity, hi = Take(node, "max")?.F ?? float.PositiveInfinity;
                node.Input.Add(emitter.Scalar(lo));
                node.Input.Add(emitter.Scalar(hi));
                break;
            }
            case "Pad" when fromOpset < 11:
            {
                var pads = Take(node, "pads")!.Ints.ToArray();
                float value = Take(node, "value")?.F ?? 0f;
                node.Input.Add(emitter.IntConst(pads));
                node.Input.Add(emitter.Scalar(value));
                break;
            }
            case "Slice" when fromOpset < 10:
            {
                var starts = Take(node, "starts")!.Ints.ToArray();
                var ends = Take(node, "ends")!.Ints.ToArray();
                var axes = Take(node, "axes")?.Ints.ToArray() ?? [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
                node.Input.Add(emitter.IntConst(starts));
                node.Input.Add(emitter.IntConst(ends));
                node.Input.Add(emitter.IntConst(axes));
                break;
            }
            case "Split" when fromOpset < 13:
                if (Take(node, "split") is { } split)
                {
                    node.Input.Add(emitter.IntConst([.. split.Ints]));
                }
                break;
            case "Squeeze" or "Unsqueeze" or "ReduceSum" when fromOpset < 13:
                if (Take(node, "axes") is { } axesAttr)
                {
                    node.Input.Add(emitter.IntConst([.. axesAttr.Ints]));
                }
                break;
            case "Softmax" or "LogSoftmax" when fromOpset < 13:
            {
                // Before opset 13 the op normalised the input flattened to 2-D at the axis; re-express exactly that.
                long axis = Take(node, "axis")?.I ?? 1;
                var x = node.Input[0];
                var shape = emitter.Node("Shape", [x]);
                var flat = emitter.Node("Flatten", [x], GraphEmitter.Int("axis", axis));
                var sm = emitter.Node(node.OpType, [flat], GraphEmitter.Int("axis", 1));
                emitter.AddNode(new NodeProto { OpType = "Reshape", Name = node.Name, Input = { sm, shape }, Output = { node.Output[0] } });
                return;
            }
            case "Reshape":
                if (fixedBatch is int b && originalInputs.Length > 1 && constants.TryGetValue(originalInputs[1], out var target)
                    && target.Size > 0 && target.AsInts()[0] == b)
                {
                    // A target copied from a fixed-batch export: copy the batch from the data instead (0 = keep that axis).
                    var dims = target.AsInts().ToArray();
                    dims[0] = 0;
                    node.Input[1] = emitter.IntConst(dims);
                }
                break;
        }
        emitter.AddNode(node);
    }

    private static void Drop(NodeProto node, string name)
    {
        for (int i = node.Attribute.Count - 1; i >= 0; i--)
        {
            if (node.Attribute[i].Name == name)
            {
                node.Attribute.RemoveAt(i);
            }
        }
    }

    private static AttributeProto? Take(NodeProto node, string name)
    {
        var a = node.Attribute.FirstOrDefault(x => x.Name == name);
        if (a is not null)
        {
            node.Attribute.Remove(a);
        }
        return a;
    }
}
