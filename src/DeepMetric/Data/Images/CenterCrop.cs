using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>
/// Crops the centre <see cref="Width"/>×<see cref="Height"/>: the offset is (size − crop)/2 rounded half to even
/// (torchvision's <c>CenterCrop</c>); a side shorter than the crop is padded with zeros, ⌊(crop − size)/2⌋ before it.
/// </summary>
/// <param name="Width">Crop width.</param>
/// <param name="Height">Crop height.</param>
public sealed record CenterCrop(int Width, int Height) : IGeometricTransform
{
    /// <summary>A square crop.</summary>
    public CenterCrop(int size)
        : this(size, size)
    {
    }

    /// <inheritdoc/>
    public void Apply(ref SampleGrid grid, Prng random) =>
        grid.Crop(Offset(grid.Width, Width), Offset(grid.Height, Height), Width, Height);

    private static int Offset(int size, int crop) =>
        crop <= size ? (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven) : -((crop - size) / 2);
}
