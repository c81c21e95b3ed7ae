using System.Buffers;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Data;

/// <summary>
/// Random translation by padding and cropping: the image is padded by <see cref="Padding"/> pixels of
/// <see cref="Fill"/> on every side and a window of the original size is cut at a uniformly random offset, i.e. the
/// content moves by (dy, dx) ∈ [−padding, padding]² and the uncovered border is filled (the standard CIFAR / MNIST
/// augmentation; e.g. He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, pad 4).
/// </summary>
public sealed class RandomCropAugmentation : IImageAugmentation
{
    /// <summary>Creates the augmentation.</summary>
    /// <param name="padding">Pixels of padding on each side (≥ 0); the shift is at most this in each direction.</param>
    /// <param name="fill">Value of the padded border (0: black background, as in Fashion-MNIST).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="padding"/> is negative.</exception>
    public RandomCropAugmentation(int padding, float fill = 0f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Padding = padding;
        Fill = fill;
    }

    /// <summary>Padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Value of the padded border.</summary>
    public float Fill { get; }

    /// <summary>Draws the crop offset as two <see cref="Prng.NextInt(int)"/> calls in [0, 2·padding] (rows first) and crops.</summary>
    public void Apply(Span<float> image, int channels, int height, int width, Prng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int top = rng.NextInt((2 * Padding) + 1);
        int left = rng.NextInt((2 * Padding) + 1);
        Crop(image, channels, height, width, top - Padding, left - Padding, Fill);
    }

    /// <summary>
    /// Crops the padded image at offset (<paramref name="dy"/> + padding, <paramref name="dx"/> + padding) in place:
    /// output (y, x) = input (y + dy, x + dx), or <paramref name="fill"/> where that lies outside the image.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="image"/> does not hold channels·height·width values.</exception>
    public static void Crop(Span<float> image, int channels, int height, int width, int dy, int dx, float fill = 0f)
    {
        if (image.Length != channels * height * width)
        {
            throw new ArgumentException($"Expected {channels}×{height}×{width} = {channels * height * width} values, got {image.Length}.", nameof(image));
        }
        if (dy == 0 && dx == 0)
        {
            return;
        }
        int plane = height * width;
        float[] rented = ArrayPool<float>.Shared.Rent(plane);
        var source = rented.AsSpan(0, plane);
        // The overlap of the shifted window with the image: output columns [x0, x1) read input columns [x0 + dx, x1 + dx).
        int x0 = Math.Max(0, -dx);
        int x1 = Math.Min(width, width - dx);
        for (int c = 0; c < channels; c++)
        {
            var dst = image.Slice(c * plane, plane);
            dst.CopyTo(source);
            for (int y = 0; y < height; y++)
            {
                var row = dst.Slice(y * width, width);
                int sy = y + dy;
                if (sy < 0 || sy >= height || x0 >= x1)
                {
                    row.Fill(fill);
                    continue;
                }
                row[..x0].Fill(fill);
                source.Slice((sy * width) + x0 + dx, x1 - x0).CopyTo(row[x0..x1]);
                row[x1..].Fill(fill);
            }
        }
        ArrayPool<float>.Shared.Return(rented);
    }
}
