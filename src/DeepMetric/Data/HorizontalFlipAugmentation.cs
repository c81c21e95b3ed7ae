using DeepMetric.Tensors.Random;

namespace DeepMetric.Data;

/// <summary>Mirrors the image left–right with probability <see cref="Probability"/>.</summary>
public sealed class HorizontalFlipAugmentation : IImageAugmentation
{
    /// <summary>Creates the augmentation.</summary>
    /// <param name="probability">Chance of flipping each image, in [0, 1] (default 0.5).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is not in [0, 1].</exception>
    public HorizontalFlipAugmentation(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "The flip probability must be in [0, 1].");
        }
        Probability = probability;
    }

    /// <summary>Chance of flipping each image.</summary>
    public double Probability { get; }

    /// <summary>Draws one <see cref="Prng.NextDouble"/> and flips when it is below <see cref="Probability"/>.</summary>
    public void Apply(Span<float> image, int channels, int height, int width, Prng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (rng.NextDouble() < Probability)
        {
            Flip(image, channels * height, width);
        }
    }

    /// <summary>Reverses each of the <paramref name="rows"/> rows of <paramref name="width"/> values.</summary>
    public static void Flip(Span<float> image, int rows, int width)
    {
        for (int r = 0; r < rows; r++)
        {
            image.Slice(r * width, width).Reverse();
        }
    }
}
