using DeepMetric.Onnx.Proto;

namespace DeepMetric.Onnx.Import;

/// <summary>What an op mapping sees at import: the node, its attributes and the opset of the default domain.</summary>
internal sealed class OpContext
{
    public OpContext(NodeProto node, int opset)
    {
        Node = node;
        Opset = opset;
        Where = $"node '{(node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? "?")}' ({node.OpType})";
        Attrs = new NodeAttributes(node, Where);
    }

    public NodeProto Node { get; }

    public int Opset { get; }

    public string Where { get; }

    public NodeAttributes Attrs { get; }

    /// <summary>Number of outputs the node names (trailing empty names are omitted outputs).</summary>
    public int UsedOutputs
    {
        get
        {
            int n = Node.Output.Count;
            while (n > 0 && Node.Output[n - 1].Length == 0)
            {
                n--;
            }
            return n;
        }
    }

    public OnnxImportException Error(string message) => new($"{Where}: {message}");

    /// <summary>Fails unless the node uses at most <paramref name="n"/> outputs (e.g. no training-only outputs).</summary>
    public void MaxOutputs(int n, string what)
    {
        if (UsedOutputs > n)
        {
            throw Error($"uses {UsedOutputs} outputs but only {n} ({what}) is supported");
        }
    }
}
