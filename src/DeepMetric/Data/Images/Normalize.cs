using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>
/// Per-channel standardisation (x − mean[c]) / std[c] of values in [0, 1]. One mean and std serve every channel.
/// </summary>
public sealed class Normalize : IPixelTransform
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates the transform.</summary>
    /// <param name="mean">Per-channel means (or one for all).</param>
    /// <param name="std">Per-channel standard deviations (or one for all), each positive.</param>
    /// <exception cref="ArgumentException">The lists are empty, differ in length, or a std is not positive.</exception>
    public Normalize(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || mean.Count != std.Count)
        {
            throw new ArgumentException($"Expected as many means as standard deviations (at least one), got {mean.Count} and {std.Count}.", nameof(std));
        }
        if (std.Any(s => !(s > 0) || float.IsInfinity(s)))
        {
            throw new ArgumentException("Every standard deviation must be positive and finite.", nameof(std));
        }
        _mean = [.. mean];
        _std = [.. std];
    }

    /// <summary>
    /// The ImageNet statistics used with torchvision's pretrained models: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
    /// </summary>
    public static Normalize ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>The ImageNet statistics for grey images: the means of the three channels' mean and std, 0.449 and 0.226.</summary>
    public static Normalize ImageNetGray { get; } = new([0.449f], [0.226f]);

    /// <summary>The means.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>The standard deviations.</summary>
    public IReadOnlyList<float> Std => _std;

    /// <inheritdoc/>
    public void Apply(Span<float> image, int channels, int height, int width, Prng random)
    {
        if (_mean.Length != 1 && _mean.Length != channels)
        {
            throw new ArgumentException($"Normalisation has {_mean.Length} channel statistics but the image has {channels} channels.", nameof(channels));
        }
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            int k = _mean.Length == 1 ? 0 : c;
            float m = _mean[k], inv = 1f / _std[k];
            foreach (ref float v in image.Slice(c * plane, plane))
            {
                v = (v - m) * inv;
            }
        }
    }
}
