namespace DeepMetric.Tensors.Nn;

/// <summary>Mean over the spatial dimensions: [N, C, H, W] → [N, C].</summary>
public sealed class GlobalAvgPool2d : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.GlobalAvgPool2d(x);

    /// <inheritdoc/>
    public override string ToString() => "GlobalAvgPool2d()";
}
