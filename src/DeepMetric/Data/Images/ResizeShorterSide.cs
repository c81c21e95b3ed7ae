using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>
/// Resizes so the shorter side is <see cref="Size"/>, keeping the aspect ratio: the longer side becomes
/// ⌊Size·long/short⌋ (torchvision's <c>Resize(int)</c>).
/// </summary>
/// <param name="Size">Length of the shorter side after resizing.</param>
public sealed record ResizeShorterSide(int Size) : IGeometricTransform
{
    /// <inheritdoc/>
    public void Apply(ref SampleGrid grid, Prng random)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Size);
        if (grid.Width <= grid.Height)
        {
            grid.Resize(Size, Math.Max(1, (int)((long)Size * grid.Height / grid.Width)));
        }
        else
        {
            grid.Resize(Math.Max(1, (int)((long)Size * grid.Width / grid.Height)), Size);
        }
    }
}
