using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>
/// Crops a random box whose area is a uniform share in [<see cref="MinScale"/>, <see cref="MaxScale"/>] of the image
/// and whose aspect ratio is log-uniform in [<see cref="MinRatio"/>, <see cref="MaxRatio"/>], and resizes it to
/// <see cref="Width"/>×<see cref="Height"/> (the "Inception" crop of Szegedy et al., "Going deeper with convolutions",
/// CVPR 2015, as torchvision's <c>RandomResizedCrop</c> draws it: 10 tries, then a centre crop of the clamped ratio).
/// </summary>
/// <param name="Width">Output width.</param>
/// <param name="Height">Output height.</param>
/// <param name="MinScale">Smallest share of the area (default 0.08).</param>
/// <param name="MaxScale">Largest share of the area (default 1).</param>
/// <param name="MinRatio">Smallest width/height ratio (default 3/4).</param>
/// <param name="MaxRatio">Largest width/height ratio (default 4/3).</param>
public sealed record RandomResizedCrop(int Width, int Height, double MinScale = 0.08, double MaxScale = 1.0, double MinRatio = 3.0 / 4.0, double MaxRatio = 4.0 / 3.0)
    : IGeometricTransform
{
    /// <inheritdoc/>
    public void Apply(ref SampleGrid grid, Prng random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var (left, top, w, h) = Choose(grid.Width, grid.Height, random);
        grid.Crop(left, top, w, h);
        grid.Resize(Width, Height);
    }

    /// <summary>The crop box (left, top, width, height) drawn for a <paramref name="width"/>×<paramref name="height"/> image.</summary>
    internal (int Left, int Top, int Width, int Height) Choose(int width, int height, Prng random)
    {
        double area = (double)width * height;
        double logLo = Math.Log(MinRatio), logHi = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (MinScale + ((MaxScale - MinScale) * random.NextDouble()));
            double ratio = Math.Exp(logLo + ((logHi - logLo) * random.NextDouble()));
            int w = (int)Math.Round(Math.Sqrt(target * ratio), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(target / ratio), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int top = random.NextInt(height - h + 1);
                int left = random.NextInt(width - w + 1);
                return (left, top, w, h);
            }
        }
        // Fallback: the whole image, cut to the nearest allowed ratio.
        double inRatio = (double)width / height;
        int cw = width, ch = height;
        if (inRatio < MinRatio)
        {
            ch = Math.Max(1, (int)Math.Round(cw / MinRatio, MidpointRounding.ToEven));
        }
        else if (inRatio > MaxRatio)
        {
            cw = Math.Max(1, (int)Math.Round(ch * MaxRatio, MidpointRounding.ToEven));
        }
        return ((width - cw) / 2, (height - ch) / 2, cw, ch);
    }
}
