namespace DeepMetric.Tensors.Nn;

/// <summary>Returns its input unchanged (a placeholder, e.g. to remove a layer from a backbone).</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x;
    }

    /// <inheritdoc/>
    public override string ToString() => "Identity()";
}
