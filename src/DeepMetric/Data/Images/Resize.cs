using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>Resizes to exactly <see cref="Width"/>×<see cref="Height"/>, not keeping the aspect ratio.</summary>
/// <param name="Width">Output width.</param>
/// <param name="Height">Output height.</param>
public sealed record Resize(int Width, int Height) : IGeometricTransform
{
    /// <inheritdoc/>
    public void Apply(ref SampleGrid grid, Prng random) => grid.Resize(Width, Height);
}
