using DeepMetric.Onnx.Proto;
using DeepMetric.Tensors;
using Google.Protobuf;

namespace DeepMetric.Onnx.Import;

/// <summary>Parses an ONNX model and compiles its graph into an <see cref="OnnxModule"/>.</summary>
internal static class OnnxGraphLoader
{
    public const int MinOpset = 7;
    public const int MaxOpset = 18;

    // Input slots that hold learnable weights: float initializers feeding them become parameters.
    private static readonly Dictionary<string, int[]> WeightSlots = new(StringComparer.Ordinal)
    {
        ["Conv"] = [1, 2],
        ["Gemm"] = [0, 1, 2],
        ["MatMul"] = [0, 1],
        ["Add"] = [0, 1],
        ["Sub"] = [0, 1],
        ["Mul"] = [0, 1],
        ["Div"] = [0, 1],
        ["BatchNormalization"] = [1, 2],
        ["LayerNormalization"] = [1, 2],
        ["Concat"] = [0, 1, 2, 3, 4, 5, 6, 7],
    };

    public static OnnxModule Load(byte[] bytes, string source)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"'{source}' is not a valid ONNX model (truncated or not ONNX): {e.Message}", e);
        }
        if (model.IrVersion <= 0 || model.Graph is null || model.Graph.Node.Count == 0 || model.OpsetImport.Count == 0)
        {
            throw new OnnxImportException($"'{source}' is not an ONNX model: it has no {(model.IrVersion <= 0 ? "IR version" : model.OpsetImport.Count == 0 ? "opset import" : "graph nodes")} ({bytes.Length} bytes read).");
        }
        return Compile(model, source);
    }

    public static OnnxModule Compile(ModelProto model, string source)
    {
        var opsetEntry = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")
            ?? throw new OnnxImportException($"'{source}' does not import the default ONNX operator set.");
        if (opsetEntry.Version is < MinOpset or > MaxOpset)
        {
            throw new OnnxImportException($"'{source}' uses opset {opsetEntry.Version}; opsets {MinOpset}–{MaxOpset} are supported.");
        }
        int opset = (int)opsetEntry.Version;
        var graph = model.Graph;
        string where = $"'{source}'";

        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer)
        {
            initializers[t.Name] = t;
        }
        var realInputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        if (realInputs.Count != 1)
        {
            throw new OnnxImportException($"{where}: the graph has {realInputs.Count} inputs ({string.Join(", ", realInputs.Select(i => i.Name))}); exactly one is supported.");
        }
        var input = realInputs[0];
        var declared = DeclaredShape(input);
        if (graph.Output.Count == 0)
        {
            throw new OnnxImportException($"{where}: the graph has no output.");
        }
        string outputName = graph.Output[0].Name;

        // Classify initializers: weights (parameters), batch-norm statistics (buffers), the rest static constants.
        var roles = new Dictionary<string, bool>(StringComparer.Ordinal); // name → isBuffer
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                string name = node.Input[i];
                if (!initializers.TryGetValue(name, out var t) || t.DataType != (int)TensorProto.Types.DataType.Float)
                {
                    continue;
                }
                if (node.OpType == "BatchNormalization" && i >= 3)
                {
                    roles.TryAdd(name, true);
                }
                else if (WeightSlots.TryGetValue(node.OpType, out var slots) && slots.Contains(i) && t.Dims.Aggregate(1L, (p, q) => p * q) > 1)
                {
                    roles[name] = false;
                }
            }
        }
        var constants = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
        var weights = new List<(string, Tensor, bool)>();
        foreach (var (name, t) in initializers)
        {
            var value = TensorProtoReader.Read(t, where);
            if (roles.TryGetValue(name, out bool isBuffer))
            {
                weights.Add((name, value.AsTensor(), isBuffer));
            }
            else
            {
                constants[name] = value;
            }
        }

        var dynamicNames = new HashSet<string>(StringComparer.Ordinal) { input.Name };
        foreach (var (name, _, _) in weights)
        {
            dynamicNames.Add(name);
        }
        var nodes = new List<CompiledNode>();
        var foldRun = new RunContext(null, 1);
        foreach (var node in graph.Node)
        {
            var ctx = new OpContext(node, opset);
            NodeKernel kernel;
            try
            {
                kernel = OpRegistry.Compile(ctx);
            }
            catch (OnnxImportException e)
            {
                throw new OnnxImportException($"{where}: {e.Message}", e);
            }
            foreach (var name in node.Input)
            {
                if (name.Length > 0 && !dynamicNames.Contains(name) && !constants.ContainsKey(name))
                {
                    throw new OnnxImportException($"{where}: {ctx.Where} reads '{name}', which no earlier node, initializer or input defines (nodes must be in topological order).");
                }
            }
            bool isStatic = node.Input.All(n => n.Length == 0 || constants.ContainsKey(n));
            if (isStatic)
            {
                OnnxValue[] outs;
                try
                {
                    using (Tensor.NoGrad())
                    {
                        outs = kernel([.. node.Input.Select(n => n.Length == 0 ? null : constants[n])], foldRun);
                    }
                }
                catch (Exception e) when (e is OnnxImportException or ArgumentException)
                {
                    throw new OnnxImportException($"{where}: {ctx.Where} failed while folding constants: {e.Message}", e);
                }
                for (int i = 0; i < node.Output.Count && i < outs.Length; i++)
                {
                    if (node.Output[i].Length > 0)
                    {
                        constants[node.Output[i]] = outs[i];
                    }
                }
                continue;
            }
            nodes.Add(new CompiledNode(ctx.Where, [.. node.Input], [.. node.Output], kernel, node));
            foreach (var o in node.Output)
            {
                if (o.Length > 0)
                {
                    dynamicNames.Add(o);
                }
            }
        }
        if (!dynamicNames.Contains(outputName) && !constants.ContainsKey(outputName))
        {
            throw new OnnxImportException($"{where}: no node computes the graph output '{outputName}'.");
        }
        MarkLastUses(nodes, outputName);
        return new OnnxModule(source, model, nodes, constants, weights, input.Name, declared, outputName, opset);
    }

    private static int[] DeclaredShape(ValueInfoProto input)
    {
        var shape = input.Type?.TensorType?.Shape;
        if (shape is null)
        {
            return [];
        }
        return [.. shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? (int)d.DimValue : -1)];
    }

    // Activations are dropped from the forward environment after their last reader (weights and constants stay).
    internal static void MarkLastUses(List<CompiledNode> nodes, string outputName)
    {
        var produced = new HashSet<string>(nodes.SelectMany(n => n.Outputs), StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal) { outputName };
        for (int k = nodes.Count - 1; k >= 0; k--)
        {
            foreach (var name in nodes[k].Inputs)
            {
                if (name.Length > 0 && produced.Contains(name) && seen.Add(name))
                {
                    nodes[k].LastUse.Add(name);
                }
            }
        }
    }
}
