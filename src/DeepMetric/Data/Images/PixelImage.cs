namespace DeepMetric.Data.Images;

/// <summary>
/// One decoded image as 8-bit samples, interleaved row-major [<see cref="Height"/>, <see cref="Width"/>,
/// <see cref="Channels"/>]: 1 channel (grey) or 3 (R, G, B). Kept as bytes, a quarter of the memory of floats, because
/// decoded images may be cached; transforms turn them into floats.
/// </summary>
public sealed class PixelImage
{
    private readonly byte[] _pixels;

    /// <summary>Wraps <paramref name="pixels"/> (not copied: the caller hands it over).</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="channels">1 (grey) or 3 (RGB).</param>
    /// <param name="pixels">The samples, [height, width, channels].</param>
    /// <exception cref="ArgumentException">The sizes do not match the sample count, or channels is not 1 or 3.</exception>
    public PixelImage(int width, int height, int channels, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (channels is not (1 or 3))
        {
            throw new ArgumentException($"Expected 1 (grey) or 3 (RGB) channels, got {channels}.", nameof(channels));
        }
        if (pixels.LongLength != (long)width * height * channels)
        {
            throw new ArgumentException($"Expected {width}×{height}×{channels} = {(long)width * height * channels} samples, got {pixels.Length}.", nameof(pixels));
        }
        Width = width;
        Height = height;
        Channels = channels;
        _pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Samples per pixel: 1 (grey) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>The samples, interleaved [Height, Width, Channels].</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>Bytes the samples take (what a cache of decoded images is charged).</summary>
    public long ByteCount => _pixels.LongLength;

    /// <summary>The sample of channel <paramref name="c"/> at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public byte this[int x, int y, int c] => _pixels[(((long)y * Width) + x) * Channels + c];

    internal byte[] Data => _pixels;
}
