using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>A change of pixel values after resampling (colour jitter, normalisation), on one planar image [C, H, W].</summary>
public interface IPixelTransform
{
    /// <summary>Transforms <paramref name="image"/> in place; random choices are drawn from <paramref name="random"/>.</summary>
    /// <param name="image">Planar [channels, height, width] values.</param>
    /// <param name="channels">1 (grey) or 3 (RGB).</param>
    /// <param name="height">Height.</param>
    /// <param name="width">Width.</param>
    /// <param name="random">The item's random source.</param>
    void Apply(Span<float> image, int channels, int height, int width, Prng random);
}
