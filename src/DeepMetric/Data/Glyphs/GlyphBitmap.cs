namespace DeepMetric.Data.Glyphs;

/// <summary>An 8-bit coverage bitmap cropped to its ink (every border row and column has a non-zero pixel).</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Pixels">Row-major coverage, 0 (paper) to 255 (ink).</param>
internal sealed record GlyphBitmap(int Width, int Height, byte[] Pixels)
{
    /// <summary>Minimum number of inked pixels for a rendering to count as non-empty.</summary>
    internal const int MinInkPixels = 4;

    /// <summary>Crops <paramref name="pixels"/> [height, width] to its ink; null when fewer than <see cref="MinInkPixels"/> pixels are inked.</summary>
    internal static GlyphBitmap? Crop(byte[] pixels, int width, int height)
    {
        int x0 = width, x1 = -1, y0 = height, y1 = -1, inked = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (pixels[(y * width) + x] != 0)
                {
                    inked++;
                    x0 = Math.Min(x0, x);
                    x1 = Math.Max(x1, x);
                    y0 = Math.Min(y0, y);
                    y1 = Math.Max(y1, y);
                }
            }
        }
        if (inked < MinInkPixels)
        {
            return null;
        }
        int w = x1 - x0 + 1, h = y1 - y0 + 1;
        var cropped = new byte[w * h];
        for (int y = 0; y < h; y++)
        {
            pixels.AsSpan(((y0 + y) * width) + x0, w).CopyTo(cropped.AsSpan(y * w, w));
        }
        return new GlyphBitmap(w, h, cropped);
    }
}
