using DeepMetric.Data.Images;

namespace DeepMetric.Data;

/// <summary>How <see cref="ImageFolder.Load"/> turns image files into a dataset.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Width of every image in the dataset; null takes the width of the first image (in sorted order).</summary>
    public int? Width { get; init; }

    /// <summary>Height of every image in the dataset; null takes the height of the first image (in sorted order).</summary>
    public int? Height { get; init; }

    /// <summary>Grey scale (default) or RGB; alpha is always dropped.</summary>
    public ImageColorMode ColorMode { get; init; } = ImageColorMode.Gray;

    /// <summary>How images of another size are resampled (default bilinear).</summary>
    public ImageResizeMode Resize { get; init; } = ImageResizeMode.Bilinear;
}
