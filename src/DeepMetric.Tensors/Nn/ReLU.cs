namespace DeepMetric.Tensors.Nn;

/// <summary>Rectified linear unit max(x, 0), elementwise (no parameters).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.Relu(x);

    /// <inheritdoc/>
    public override string ToString() => "ReLU()";
}
