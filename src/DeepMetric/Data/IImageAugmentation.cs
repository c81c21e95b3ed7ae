using DeepMetric.Tensors.Random;

namespace DeepMetric.Data;

/// <summary>
/// A random transformation of one image, applied in place during training. Implementations draw all their
/// randomness from the <see cref="Prng"/> they are given, so a run is reproducible.
/// </summary>
public interface IImageAugmentation
{
    /// <summary>Transforms <paramref name="image"/> (planar [channels, height, width]) in place.</summary>
    /// <param name="image">The image's values.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="rng">The source of randomness.</param>
    void Apply(Span<float> image, int channels, int height, int width, Prng rng);
}
