namespace DeepMetric.Data;

/// <summary>
/// How images are resampled to the common size. Both use pixel-centre alignment: output pixel x samples the
/// source at (x + 0.5)·srcWidth / dstWidth − 0.5 (the convention of OpenCV's and PIL's resize without
/// antialiasing), so an unchanged size is an exact copy.
/// </summary>
public enum ImageResizeMode
{
    /// <summary>Bilinear interpolation of the four nearest source pixels, clamped at the borders (no antialiasing when shrinking).</summary>
    Bilinear,

    /// <summary>The source pixel whose centre is nearest: source index ⌊(x + 0.5)·srcWidth / dstWidth⌋.</summary>
    Nearest,
}
