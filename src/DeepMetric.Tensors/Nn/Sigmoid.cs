namespace DeepMetric.Tensors.Nn;

/// <summary>Logistic sigmoid 1/(1 + e⁻ˣ), elementwise.</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.Sigmoid(x);

    /// <inheritdoc/>
    public override string ToString() => "Sigmoid()";
}
