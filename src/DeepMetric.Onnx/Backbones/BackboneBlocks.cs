using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Backbones;

/// <summary>
/// The trainable parameters of an imported graph grouped into blocks, in topological order, for fine-tuning the last
/// few: a block ends at each <c>Add</c> node that merges two computed values (a residual connection), so in a ResNet a
/// block is one residual unit (its convolutions, their batch-norm scales and shifts, and its shortcut projection) and
/// the stem joins the first unit. Parameters after the last merge (e.g. a classifier) join the last block. A graph with
/// no residual merge has one block per convolution or matrix product (with the parameters of the nodes that follow it
/// up to the next one, e.g. its batch norm).
/// </summary>
internal static class BackboneBlocks
{
    private static readonly HashSet<string> s_weightOps = new(StringComparer.Ordinal) { "Conv", "Gemm", "MatMul" };

    public static List<List<Tensor>> Of(OnnxModule graph)
    {
        var parameters = new HashSet<Tensor>(graph.Parameters(), ReferenceEqualityComparer.Instance);
        var weights = graph.Weights;
        bool IsComputed(string name) => name.Length > 0 && !weights.ContainsKey(name) && !graph.Constants.ContainsKey(name);
        bool IsMerge(Import.CompiledNode n) => n.Proto.OpType == "Add" && n.Inputs.Length == 2 && IsComputed(n.Inputs[0]) && IsComputed(n.Inputs[1]);
        bool residual = graph.Nodes.Any(IsMerge);

        var blocks = new List<List<Tensor>>();
        var current = new List<Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var node in graph.Nodes)
        {
            var owned = node.Inputs.Where(weights.ContainsKey).Select(n => weights[n]).Where(t => parameters.Contains(t) && seen.Add(t)).ToList();
            if (!residual && s_weightOps.Contains(node.Proto.OpType) && owned.Count > 0 && current.Count > 0)
            {
                blocks.Add(current);
                current = [];
            }
            current.AddRange(owned);
            if (residual && IsMerge(node) && current.Count > 0)
            {
                blocks.Add(current);
                current = [];
            }
        }
        if (current.Count > 0)
        {
            if (blocks.Count == 0)
            {
                blocks.Add(current);
            }
            else
            {
                blocks[^1].AddRange(current);
            }
        }
        return blocks;
    }
}
