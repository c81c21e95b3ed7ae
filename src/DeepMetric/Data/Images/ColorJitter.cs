using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>
/// Random brightness, contrast and saturation changes on values in [0, 1], as torchvision's <c>ColorJitter</c>
/// defines each: factors uniform in [max(0, 1 − s), 1 + s] for strength s; brightness scales the values; contrast
/// blends with the image's mean luma; saturation blends each pixel with its own luma (BT.601 weights; no effect on
/// grey images); results are clamped to [0, 1] after each. Unlike torchvision the order is fixed (brightness,
/// contrast, saturation) and all three factors are always drawn, so one stream of random numbers serves any settings.
/// </summary>
/// <param name="Brightness">Brightness strength (0: off).</param>
/// <param name="Contrast">Contrast strength (0: off).</param>
/// <param name="Saturation">Saturation strength (0: off).</param>
public sealed record ColorJitter(double Brightness = 0.4, double Contrast = 0.4, double Saturation = 0.4) : IPixelTransform
{
    /// <inheritdoc/>
    public void Apply(Span<float> image, int channels, int height, int width, Prng random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int plane = height * width;
        if (image.Length != channels * plane)
        {
            throw new ArgumentException($"Expected {channels}×{height}×{width} values, got {image.Length}.", nameof(image));
        }
        float b = Factor(Brightness, random), c = Factor(Contrast, random), s = Factor(Saturation, random);
        if (b != 1f)
        {
            foreach (ref float v in image)
            {
                v = Math.Clamp(v * b, 0f, 1f);
            }
        }
        if (c != 1f)
        {
            double sum = 0;
            for (int p = 0; p < plane; p++)
            {
                sum += Luma(image, channels, plane, p);
            }
            float mean = (float)(sum / plane), offset = (1f - c) * mean;
            foreach (ref float v in image)
            {
                v = Math.Clamp((v * c) + offset, 0f, 1f);
            }
        }
        if (s != 1f && channels == 3)
        {
            for (int p = 0; p < plane; p++)
            {
                float grey = Luma(image, channels, plane, p) * (1f - s);
                image[p] = Math.Clamp((image[p] * s) + grey, 0f, 1f);
                image[plane + p] = Math.Clamp((image[plane + p] * s) + grey, 0f, 1f);
                image[(2 * plane) + p] = Math.Clamp((image[(2 * plane) + p] * s) + grey, 0f, 1f);
            }
        }
    }

    private static float Factor(double strength, Prng random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(strength);
        double u = random.NextDouble();
        double lo = Math.Max(0, 1 - strength), hi = 1 + strength;
        return strength == 0 ? 1f : (float)(lo + ((hi - lo) * u));
    }

    private static float Luma(ReadOnlySpan<float> image, int channels, int plane, int p) =>
        channels == 3 ? (0.299f * image[p]) + (0.587f * image[plane + p]) + (0.114f * image[(2 * plane) + p]) : image[p];
}
