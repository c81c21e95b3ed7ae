namespace DeepMetric.Tensors.Nn;

/// <summary>Collapses the dimensions from <see cref="StartAxis"/> onwards into one (zero-copy): [N, C, H, W] → [N, C·H·W].</summary>
public sealed class Flatten : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="startAxis">First dimension to merge (negative counts from the end); 1 keeps the batch dimension.</param>
    public Flatten(int startAxis = 1) => StartAxis = startAxis;

    /// <summary>First dimension to merge.</summary>
    public int StartAxis { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.Flatten(x, StartAxis);

    /// <inheritdoc/>
    public override string ToString() => $"Flatten({StartAxis})";
}
