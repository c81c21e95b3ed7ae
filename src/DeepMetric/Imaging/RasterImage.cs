namespace DeepMetric.Imaging;

/// <summary>
/// An 8-bit image in memory: <see cref="Width"/> × <see cref="Height"/> pixels of <see cref="Channels"/>
/// interleaved samples (1 grey, 3 RGB, 4 RGBA), rows top to bottom.
/// </summary>
public sealed class RasterImage
{
    private readonly byte[] _pixels;

    /// <summary>Creates a black (transparent for RGBA) image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Non-positive size, or channels not 1, 3 or 4.</exception>
    public RasterImage(int width, int height, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (channels is not (1 or 3 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Channels must be 1 (grey), 3 (RGB) or 4 (RGBA).");
        }
        long size = (long)width * height * channels;
        if (size > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"A {width}×{height}×{channels} image is too large.");
        }
        Width = width;
        Height = height;
        Channels = channels;
        _pixels = new byte[size];
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Samples per pixel: 1, 3 or 4.</summary>
    public int Channels { get; }

    /// <summary>The PNG colour type matching <see cref="Channels"/>.</summary>
    public PngColorType ColorType => Channels switch { 1 => PngColorType.Grayscale, 3 => PngColorType.Rgb, _ => PngColorType.Rgba };

    /// <summary>The interleaved samples, row-major; writable.</summary>
    public Span<byte> Pixels => _pixels;

    /// <summary>
    /// An image from float samples in [C, H, W] layout (as <see cref="Data.ImageDataset"/> stores them), mapping
    /// [<paramref name="low"/>, <paramref name="high"/>] linearly to 0..255 with clamping. When both bounds are null,
    /// the image's own minimum and maximum are used. NaN becomes 0.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong sample count, channels not 1/3/4, or high ≤ low.</exception>
    public static RasterImage FromPlanar(ReadOnlySpan<float> chw, int channels, int height, int width, float? low = 0f, float? high = 1f)
    {
        var image = new RasterImage(width, height, channels);
        long expected = (long)channels * height * width;
        if (chw.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} samples for a {channels}×{height}×{width} image, got {chw.Length}.", nameof(chw));
        }
        float lo, hi;
        if (low is null && high is null)
        {
            lo = float.PositiveInfinity;
            hi = float.NegativeInfinity;
            foreach (float v in chw)
            {
                if (float.IsFinite(v))
                {
                    lo = Math.Min(lo, v);
                    hi = Math.Max(hi, v);
                }
            }
            if (!(hi > lo))
            {
                (lo, hi) = (float.IsFinite(lo) ? lo : 0, float.IsFinite(lo) ? lo + 1 : 1);
            }
        }
        else
        {
            lo = low ?? 0;
            hi = high ?? 1;
            if (!(hi > lo))
            {
                throw new ArgumentException($"high ({hi}) must be greater than low ({lo}).", nameof(high));
            }
        }
        double scale = 255.0 / (hi - lo);
        int plane = height * width;
        Span<byte> px = image.Pixels;
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < plane; i++)
            {
                float v = chw[(c * plane) + i];
                double s = float.IsNaN(v) ? 0 : Math.Round((v - lo) * scale);
                px[(i * channels) + c] = (byte)Math.Clamp(s, 0, 255);
            }
        }
        return image;
    }

    /// <summary>Sets one pixel from red, green, blue (grey images store the rounded luma, RGBA sets alpha 255).</summary>
    public void SetRgb(int x, int y, byte r, byte g, byte b)
    {
        int o = Offset(x, y);
        switch (Channels)
        {
            case 1:
                _pixels[o] = (byte)(((299 * r) + (587 * g) + (114 * b) + 500) / 1000);
                break;
            default:
                _pixels[o] = r;
                _pixels[o + 1] = g;
                _pixels[o + 2] = b;
                if (Channels == 4)
                {
                    _pixels[o + 3] = 255;
                }
                break;
        }
    }

    /// <summary>Reads one pixel as red, green, blue (grey repeated; alpha ignored).</summary>
    public (byte R, byte G, byte B) GetRgb(int x, int y)
    {
        int o = Offset(x, y);
        return Channels == 1 ? (_pixels[o], _pixels[o], _pixels[o]) : (_pixels[o], _pixels[o + 1], _pixels[o + 2]);
    }

    /// <summary>Encodes the image as PNG bytes.</summary>
    public byte[] ToPng() => PngWriter.Encode(_pixels, Width, Height, ColorType);

    private int Offset(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"Pixel ({x}, {y}) is outside the {Width}×{Height} image.");
        }
        return ((y * Width) + x) * Channels;
    }
}
