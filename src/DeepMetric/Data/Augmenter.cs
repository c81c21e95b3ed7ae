using DeepMetric.Tensors.Random;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Data;

/// <summary>
/// Applies a list of <see cref="IImageAugmentation"/>s, in order, to every image of a training batch, in place.
/// The randomness of a batch depends only on the seed and the step number passed in (use the sampler position), so
/// a resumed run augments exactly like an uninterrupted one without saving any generator state. Give it to a dataset
/// (<see cref="ImageDataset.WithAugmenter"/>), which applies it to training reads with <see cref="BatchRequest.Step"/>
/// as the step. Switch it off with <see cref="Enabled"/>. <see cref="Apply(Tensor, long)"/> may run on several threads
/// at once (each call draws from its own generator; the steps keep no state).
/// </summary>
public sealed class Augmenter
{
    private readonly IImageAugmentation[] _steps;

    /// <summary>Creates an augmenter.</summary>
    /// <param name="steps">The augmentations, applied in this order to each image.</param>
    /// <param name="seed">Seed of all the augmentation randomness.</param>
    public Augmenter(IReadOnlyList<IImageAugmentation> steps, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(steps);
        _steps = new IImageAugmentation[steps.Count];
        for (int i = 0; i < _steps.Length; i++)
        {
            _steps[i] = steps[i] ?? throw new ArgumentException($"steps[{i}] is null.", nameof(steps));
        }
        Seed = seed;
    }

    /// <summary>The light augmentation for small grey images: random crop with <paramref name="padding"/> and, optionally, a horizontal flip with probability 0.5.</summary>
    /// <param name="padding">Crop padding in pixels (e.g. 2–4 for 28×28 images); 0 disables the crop.</param>
    /// <param name="flip">Whether to add a horizontal flip.</param>
    /// <param name="seed">Seed.</param>
    public static Augmenter CropAndFlip(int padding = 2, bool flip = true, ulong seed = 0)
    {
        var steps = new List<IImageAugmentation>(2);
        if (padding > 0)
        {
            steps.Add(new RandomCropAugmentation(padding));
        }
        if (flip)
        {
            steps.Add(new HorizontalFlipAugmentation());
        }
        return new Augmenter(steps, seed);
    }

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>The augmentations in order.</summary>
    public IReadOnlyList<IImageAugmentation> Steps => _steps;

    /// <summary>When false, <see cref="Apply(Tensor, long)"/> leaves batches unchanged (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Augments a batch tensor [batch, channels, height, width] in place.</summary>
    /// <param name="images">The batch (e.g. from <see cref="ImageDataset.Batch"/> without augmentation); its values are overwritten.</param>
    /// <param name="step">The step number (e.g. the sampler position of this batch); with the seed it fixes the randomness.</param>
    /// <exception cref="ArgumentException"><paramref name="images"/> is not of rank 4.</exception>
    public void Apply(Tensor images, long step)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4)
        {
            throw new ArgumentException($"Expected a batch of images [batch, channels, height, width], got rank {images.Rank}.", nameof(images));
        }
        Apply(images.Span, images.Dim(0), images.Dim(1), images.Dim(2), images.Dim(3), step);
    }

    /// <summary>Augments <paramref name="count"/> planar images stored one after another in <paramref name="images"/>, in place.</summary>
    /// <exception cref="ArgumentException">The sizes do not match the span length.</exception>
    public void Apply(Span<float> images, int count, int channels, int height, int width, long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        int size = channels * height * width;
        if (images.Length != (long)count * size)
        {
            throw new ArgumentException($"Expected {count}×{channels}×{height}×{width} = {(long)count * size} values, got {images.Length}.", nameof(images));
        }
        if (!Enabled || _steps.Length == 0)
        {
            return;
        }
        var rng = StepRng(step);
        for (int i = 0; i < count; i++)
        {
            var image = images.Slice(i * size, size);
            foreach (var augmentation in _steps)
            {
                augmentation.Apply(image, channels, height, width, rng);
            }
        }
    }

    // SplitMix64 mixing of (seed, step), so neighbouring steps get unrelated streams.
    private Prng StepRng(long step)
    {
        ulong z = Seed ^ (0x9E3779B97F4A7C15UL * ((ulong)step + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return new Prng(z ^ (z >> 31));
    }
}
