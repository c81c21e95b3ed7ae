namespace DeepMetric.Onnx.Import;

/// <summary>A node of the forward pass: its kernel, its value names and the values it is the last reader of.</summary>
internal sealed record CompiledNode(string Where, string[] Inputs, string[] Outputs, NodeKernel Kernel, Proto.NodeProto Proto)
{
    /// <summary>Values that no later node reads: dropped from the environment after this node (frees memory).</summary>
    public List<string> LastUse { get; } = [];
}
