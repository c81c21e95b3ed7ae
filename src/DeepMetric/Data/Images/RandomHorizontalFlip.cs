using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>Mirrors the image left to right with probability <see cref="Probability"/>.</summary>
/// <param name="Probability">Chance of a flip, in [0, 1].</param>
public sealed record RandomHorizontalFlip(double Probability = 0.5) : IGeometricTransform
{
    /// <inheritdoc/>
    public void Apply(ref SampleGrid grid, Prng random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (random.NextDouble() < Probability)
        {
            grid.Flip = !grid.Flip;
        }
    }
}
