using DeepMetric.Data.Images;

namespace DeepMetric.Data;

/// <summary>Colour conversion and resizing of <see cref="DecodedImage"/>s into planar dataset layout.</summary>
internal static class ImageResampler
{
    /// <summary>
    /// Writes <paramref name="image"/> converted to <paramref name="mode"/> and resized to
    /// <paramref name="width"/>×<paramref name="height"/> into <paramref name="destination"/>, planar [C, H, W].
    /// </summary>
    public static void Convert(DecodedImage image, ImageColorMode mode, int width, int height, ImageResizeMode resize, Span<float> destination)
    {
        int outChannels = mode == ImageColorMode.Gray ? 1 : 3;
        int plane = image.Width * image.Height;
        // First to planar colour at the source size, then resize each plane.
        var planes = new float[outChannels * plane];
        var src = image.Pixels;
        int ch = image.Channels;
        bool colour = ch >= 3;
        for (int p = 0; p < plane; p++)
        {
            int s = p * ch;
            if (mode == ImageColorMode.Gray)
            {
                planes[p] = colour ? (float)((0.299 * src[s]) + (0.587 * src[s + 1]) + (0.114 * src[s + 2])) : src[s];
            }
            else
            {
                planes[p] = src[s];
                planes[plane + p] = colour ? src[s + 1] : src[s];
                planes[(2 * plane) + p] = colour ? src[s + 2] : src[s];
            }
        }
        for (int c = 0; c < outChannels; c++)
        {
            Resize(planes.AsSpan(c * plane, plane), image.Width, image.Height,
                destination.Slice(c * width * height, width * height), width, height, resize);
        }
    }

    /// <summary>Resizes one plane (see <see cref="ImageResizeMode"/> for the sampling convention).</summary>
    public static void Resize(ReadOnlySpan<float> src, int srcW, int srcH, Span<float> dst, int dstW, int dstH, ImageResizeMode mode)
    {
        if (srcW == dstW && srcH == dstH)
        {
            src.CopyTo(dst);
            return;
        }
        double sx = (double)srcW / dstW;
        double sy = (double)srcH / dstH;
        if (mode == ImageResizeMode.Nearest)
        {
            for (int y = 0; y < dstH; y++)
            {
                int yy = Math.Min((int)((y + 0.5) * sy), srcH - 1);
                for (int x = 0; x < dstW; x++)
                {
                    int xx = Math.Min((int)((x + 0.5) * sx), srcW - 1);
                    dst[(y * dstW) + x] = src[(yy * srcW) + xx];
                }
            }
            return;
        }
        for (int y = 0; y < dstH; y++)
        {
            double fy = Math.Clamp(((y + 0.5) * sy) - 0.5, 0, srcH - 1);
            int y0 = (int)fy;
            int y1 = Math.Min(y0 + 1, srcH - 1);
            double wy = fy - y0;
            for (int x = 0; x < dstW; x++)
            {
                double fx = Math.Clamp(((x + 0.5) * sx) - 0.5, 0, srcW - 1);
                int x0 = (int)fx;
                int x1 = Math.Min(x0 + 1, srcW - 1);
                double wx = fx - x0;
                double top = (src[(y0 * srcW) + x0] * (1 - wx)) + (src[(y0 * srcW) + x1] * wx);
                double bottom = (src[(y1 * srcW) + x0] * (1 - wx)) + (src[(y1 * srcW) + x1] * wx);
                dst[(y * dstW) + x] = (float)((top * (1 - wy)) + (bottom * wy));
            }
        }
    }
}
