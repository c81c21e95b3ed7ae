namespace DeepMetric.Tensors.Nn;

/// <summary>Softplus log(1 + eˣ), elementwise, computed without overflow.</summary>
public sealed class Softplus : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.Softplus(x);

    /// <inheritdoc/>
    public override string ToString() => "Softplus()";
}
