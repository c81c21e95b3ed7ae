using DeepMetric.Tensors;
using DeepMetric.Tensors.Autograd;

namespace DeepMetric.Onnx.Import;

/// <summary>
/// The forward plan of an imported graph: each chain Conv → BatchNormalization [→ Add of a residual] [→ Relu] whose
/// intermediate values nothing else reads becomes one node. When nothing in the chain needs a gradient (inference, or a
/// frozen unit before the fine-tuned ones) it runs as one convolution whose output rows get the batch norm's scale and
/// shift, the residual and the ReLU while still in cache (<see cref="ConvEpilogue"/>: the same float operations in the
/// same order, so the result equals the unfused chain bit for bit). Otherwise it runs the chain's own nodes, so
/// fine-tuned batch-norm scales and shifts train exactly as before. The weights themselves are never rewritten:
/// parameters, saved weights and export see the graph as imported.
/// </summary>
internal static class ConvBatchNormFusion
{
    /// <summary>The plan for <paramref name="nodes"/> (topological order), with its own last uses.</summary>
    public static List<CompiledNode> Plan(IReadOnlyList<CompiledNode> nodes, string outputName, int opset)
    {
        var readers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int k = 0; k < nodes.Count; k++)
        {
            foreach (var name in nodes[k].Inputs.Where(n => n.Length > 0).Distinct(StringComparer.Ordinal))
            {
                (readers.TryGetValue(name, out var l) ? l : readers[name] = []).Add(k);
            }
        }
        // The only reader of a value that is not the graph output, if it has exactly one.
        int SoleReader(string value) =>
            value != outputName && readers.TryGetValue(value, out var l) && l.Count == 1 ? l[0] : -1;

        var replaced = new Dictionary<int, CompiledNode>();
        var dropped = new HashSet<int>();
        for (int k = 0; k < nodes.Count; k++)
        {
            var conv = nodes[k];
            if (conv.Proto.OpType != "Conv" || conv.Outputs.Length != 1 || conv.Inputs.Length is < 2 or > 3 || dropped.Contains(k))
            {
                continue;
            }
            int bnAt = SoleReader(conv.Outputs[0]);
            if (bnAt < 0 || nodes[bnAt].Proto.OpType != "BatchNormalization" || nodes[bnAt].Inputs.Length != 5
                || nodes[bnAt].Inputs[0] != conv.Outputs[0] || nodes[bnAt].Inputs.Skip(1).Any(n => n.Length == 0)
                || nodes[bnAt].Outputs.Count(o => o.Length > 0) != 1 || nodes[bnAt].Outputs[0].Length == 0)
            {
                continue;
            }
            var chain = new List<int> { k, bnAt };
            string current = nodes[bnAt].Outputs[0];
            int residualSlot = -1;
            // An Add or Relu already taken by an earlier chain (the other branch of a residual unit) stops this one.
            bool Free(int i) => i >= 0 && !dropped.Contains(i) && !replaced.ContainsKey(i);
            int next = SoleReader(current);
            if (Free(next) && nodes[next].Proto.OpType == "Add" && nodes[next].Inputs.Length == 2 && nodes[next].Outputs.Length == 1
                && nodes[next].Inputs[0] != nodes[next].Inputs[1])
            {
                residualSlot = nodes[next].Inputs[0] == current ? 1 : 0;
                chain.Add(next);
                current = nodes[next].Outputs[0];
                next = SoleReader(current);
            }
            bool relu = false;
            if (Free(next) && nodes[next].Proto.OpType == "Relu" && nodes[next].Outputs.Length == 1)
            {
                relu = true;
                chain.Add(next);
            }
            if (!Free(bnAt))
            {
                continue;
            }
            int last = chain.Max();
            replaced[last] = Fuse([.. chain.Select(i => nodes[i])], residualSlot, relu, opset);
            foreach (var i in chain.Where(i => i != last))
            {
                dropped.Add(i);
            }
        }

        var plan = new List<CompiledNode>();
        for (int k = 0; k < nodes.Count; k++)
        {
            if (dropped.Contains(k))
            {
                continue;
            }
            var n = replaced.TryGetValue(k, out var f) ? f : nodes[k];
            plan.Add(new CompiledNode(n.Where, n.Inputs, n.Outputs, n.Kernel, n.Proto));
        }
        OnnxGraphLoader.MarkLastUses(plan, outputName);
        return plan;
    }

    // Inputs of the fused node: x, W, b (or ""), γ, β, mean, variance, then the residual when there is one.
    private static CompiledNode Fuse(CompiledNode[] chain, int residualSlot, bool relu, int opset)
    {
        var conv = chain[0];
        var bn = chain[1];
        var add = residualSlot >= 0 ? chain[2] : null;
        var runConv = OpRegistry.ConvRunner(new OpContext(conv.Proto, opset), out var outputSide);
        var bnAttrs = new OpContext(bn.Proto, opset).Attrs;
        float eps = bnAttrs.Float("epsilon", 1e-5f);
        var inputs = new List<string> { conv.Inputs[0], conv.Inputs[1], conv.Inputs.Length > 2 ? conv.Inputs[2] : "" };
        inputs.AddRange(bn.Inputs.Skip(1));
        if (add is not null)
        {
            inputs.Add(add.Inputs[residualSlot]);
        }
        NodeKernel kernel = (values, run) =>
        {
            var fused = TryFused(values, add is not null, relu, eps, runConv, outputSide);
            if (fused is not null)
            {
                return [OnnxValue.Of(fused)];
            }
            // A gradient is wanted: the convolution, then the tail as one training op; for shapes that op does not take,
            // the chain's own nodes one by one.
            var y = conv.Kernel(values[..3], run);
            if (BatchNormChainTraining.TryRun(y[0], values, add is not null, relu, eps) is { } tail)
            {
                return [OnnxValue.Of(tail)];
            }
            y = bn.Kernel([y[0], values[3], values[4], values[5], values[6]], run);
            if (add is not null)
            {
                y = add.Kernel(residualSlot == 1 ? [y[0], values[7]] : [values[7], y[0]], run);
            }
            return relu ? chain[^1].Kernel([y[0]], run) : y;
        };
        return new CompiledNode(conv.Where + " (fused with " + string.Join(", ", chain.Skip(1).Select(n => n.Proto.OpType)) + ")",
            [.. inputs], chain[^1].Outputs, kernel, chain[^1].Proto);
    }

    private static Tensor? TryFused(OnnxValue?[] values, bool hasResidual, bool relu, float eps,
        Func<OnnxValue?[], ConvEpilogue?, Tensor> runConv, Func<Tensor, Tensor, (int H, int W)?> outputSide)
    {
        int count = hasResidual ? 8 : 7;
        for (int i = 0; i < count; i++)
        {
            if ((values[i] is null && i != 2) || (values[i] is not null && !values[i]!.IsFloat))
            {
                return null;
            }
        }
        var x = values[0]!.AsTensor();
        var w = values[1]!.AsTensor();
        var b = values[2]?.AsTensor();
        var residual = hasResidual ? values[7]!.AsTensor() : null;
        var stats = new[] { values[3]!.AsTensor(), values[4]!.AsTensor(), values[5]!.AsTensor(), values[6]!.AsTensor() };
        if (NoGradScope.GradEnabled && (x.RequiresGrad || w.RequiresGrad || (b?.RequiresGrad ?? false) || stats.Any(t => t.RequiresGrad) || (residual?.RequiresGrad ?? false)))
        {
            return null;
        }
        if (x.Rank != 4 || w.Rank != 4 || stats.Any(t => t.Rank != 1 || t.Dim(0) != w.Dim(0)))
        {
            return null;
        }
        // The residual must match the output exactly; a broadcasting Add runs unfused.
        if (residual is not null
            && (outputSide(x, w) is not (int ho, int wo) || !residual.Shape.AsSpan().SequenceEqual([x.Dim(0), w.Dim(0), ho, wo])))
        {
            return null;
        }
        var (scale, shift) = Ops.BatchNormInference(stats[0], stats[1], stats[2], stats[3], eps);
        return runConv(values, new ConvEpilogue(scale, shift, residual, relu));
    }
}
