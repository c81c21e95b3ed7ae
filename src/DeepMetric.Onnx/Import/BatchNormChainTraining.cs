using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Import;

/// <summary>
/// The tail of a fused Conv → BatchNormalization [→ Add] [→ Relu] chain (<see cref="ConvBatchNormFusion"/>) when a gradient
/// is wanted: after the convolution, the batch norm with its stored statistics, the residual and the ReLU run as one op
/// (<see cref="Ops.FrozenBatchNorm"/>): one pass over the convolution's output forward and one backward instead of
/// three, with the same values and gradients as the nodes one by one.
/// </summary>
internal static class BatchNormChainTraining
{
    /// <summary>
    /// The chain's output for the convolution's output <paramref name="convOut"/>, or null when the values do not fit the
    /// single op (then the chain's own nodes run).
    /// </summary>
    /// <param name="convOut">The convolution's output.</param>
    /// <param name="values">The fused node's inputs: x, W, b, γ, β, mean, variance, then the residual when there is one.</param>
    /// <param name="hasResidual">Whether the chain has an Add.</param>
    /// <param name="relu">Whether the chain ends in a Relu.</param>
    /// <param name="eps">The batch norm's epsilon.</param>
    public static Tensor? TryRun(OnnxValue convOut, OnnxValue?[] values, bool hasResidual, bool relu, float eps)
    {
        if (!convOut.IsFloat || values.Length < (hasResidual ? 8 : 7))
        {
            return null;
        }
        var x = convOut.AsTensor();
        if (x.Rank != 4)
        {
            return null;
        }
        var stats = new Tensor[4];
        for (int i = 0; i < 4; i++)
        {
            if (values[3 + i] is not { IsFloat: true } v || v.Dims.Length != 1 || v.Dims[0] != x.Dim(1))
            {
                return null;
            }
            stats[i] = v.AsTensor();
        }
        Tensor? residual = null;
        if (hasResidual)
        {
            // Only a residual of exactly the output's shape: a broadcasting Add runs as its own node.
            if (values[7] is not { IsFloat: true } r || !r.Dims.AsSpan().SequenceEqual(x.Shape))
            {
                return null;
            }
            residual = r.AsTensor();
        }
        return Ops.FrozenBatchNorm(x, stats[0], stats[1], stats[2], stats[3], eps, residual, relu);
    }
}
