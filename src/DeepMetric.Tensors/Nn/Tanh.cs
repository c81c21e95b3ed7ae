namespace DeepMetric.Tensors.Nn;

/// <summary>Hyperbolic tangent, elementwise.</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.Tanh(x);

    /// <inheritdoc/>
    public override string ToString() => "Tanh()";
}
