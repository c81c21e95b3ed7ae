namespace DeepMetric.Data.Images;

/// <summary>How an <see cref="ImageFolderDataset"/> reads its files.</summary>
public sealed record ImageFolderDatasetOptions
{
    /// <summary>Grey or RGB (default RGB).</summary>
    public ImageColorMode ColorMode { get; init; } = ImageColorMode.Rgb;

    /// <summary>Seed of the training transform's randomness (with the step and the slot in the batch).</summary>
    public ulong Seed { get; init; }

    /// <summary>Images claiming more pixels than this are rejected before decoding (default <see cref="ImageReader.DefaultMaxPixels"/>).</summary>
    public long MaxPixels { get; init; } = ImageReader.DefaultMaxPixels;

    /// <summary>Bytes of decoded images to keep in an LRU cache shared with subsets (default 0: none; decode every read).</summary>
    public long CacheBytes { get; init; }

    /// <summary>Images of one batch decoded at once (default: the processor count).</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;
}
