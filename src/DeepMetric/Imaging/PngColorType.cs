namespace DeepMetric.Imaging;

/// <summary>The PNG colour types the writer supports, all at 8 bits per sample (values are the IHDR codes).</summary>
public enum PngColorType
{
    /// <summary>One grey sample per pixel.</summary>
    Grayscale = 0,

    /// <summary>Red, green, blue.</summary>
    Rgb = 2,

    /// <summary>Red, green, blue, alpha (not premultiplied).</summary>
    Rgba = 6,
}
