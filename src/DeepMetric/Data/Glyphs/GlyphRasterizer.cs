namespace DeepMetric.Data.Glyphs;

/// <summary>
/// Turns a glyph's coverage bitmap into one grey output image: affine warp (rotation, scale, shear, shift) by bilinear
/// sampling onto a canvas at twice the output resolution, grey-scale erosion or dilation for stroke width, 2×2 box
/// down-sampling (anti-aliasing), Gaussian blur, stretching the darkest pixel to full ink, and additive Gaussian noise. Pure managed arithmetic, so the same
/// inputs give the same bytes.
/// </summary>
internal static class GlyphRasterizer
{
    /// <summary>Oversampling factor of the working canvas.</summary>
    internal const int Oversample = 2;

    /// <summary>Pixels per em to render at, for an output of <paramref name="size"/> pixels.</summary>
    internal static int PixelSize(int size) => (int)Math.Round(size * Oversample * 0.8);

    /// <summary>Largest ink extent, as a fraction of the canvas, before a glyph is scaled down to fit.</summary>
    private const double FitFraction = 0.8;

    /// <summary>Renders <paramref name="glyph"/> with <paramref name="p"/> into <paramref name="output"/> [size × size].</summary>
    internal static void Render(GlyphBitmap glyph, int size, in GlyphInstance p, ref SplitMix64 noise, Span<byte> output)
    {
        int n = size * Oversample;
        var canvas = new float[n * n];
        Warp(glyph, n, p, canvas);
        Stroke(canvas, n, p.Stroke);
        var small = new float[size * size];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                int i = (2 * y * n) + (2 * x);
                small[(y * size) + x] = 0.25f * (canvas[i] + canvas[i + 1] + canvas[i + n] + canvas[i + n + 1]);
            }
        }
        if (p.BlurSigma > 0.05)
        {
            Blur(small, size, p.BlurSigma);
        }
        // Full contrast: a hairline font, eroded and blurred, would otherwise fade to grey.
        float max = 0;
        foreach (float v in small)
        {
            max = Math.Max(max, v);
        }
        if (max is > 0 and < 1)
        {
            for (int i = 0; i < small.Length; i++)
            {
                small[i] /= max;
            }
        }
        for (int i = 0; i < small.Length; i++)
        {
            double v = small[i];
            if (p.NoiseSigma > 0)
            {
                v += p.NoiseSigma * noise.NextGaussian();
            }
            output[i] = (byte)Math.Round(Math.Clamp(v, 0, 1) * 255);
        }
    }

    private static void Warp(GlyphBitmap g, int n, in GlyphInstance p, float[] canvas)
    {
        double fit = Math.Min(1.0, FitFraction * n / Math.Max(g.Width, g.Height));
        // Forward map (source, centred) -> canvas (centred): A = fit · R(θ) · [[s, s·shear], [0, s]]; we need A⁻¹.
        double c = Math.Cos(p.Rotation), s = Math.Sin(p.Rotation), k = fit * p.Scale;
        double a00 = k * c, a01 = k * ((c * p.Shear) - s), a10 = k * s, a11 = k * ((s * p.Shear) + c);
        double det = (a00 * a11) - (a01 * a10);
        double i00 = a11 / det, i01 = -a01 / det, i10 = -a10 / det, i11 = a00 / det;
        double cx = (n / 2.0) + (p.ShiftX * Oversample), cy = (n / 2.0) + (p.ShiftY * Oversample);
        double sx = g.Width / 2.0, sy = g.Height / 2.0;
        var src = g.Pixels;
        for (int y = 0; y < n; y++)
        {
            double dy = y + 0.5 - cy;
            for (int x = 0; x < n; x++)
            {
                double dx = x + 0.5 - cx;
                // Source position in pixel-index space (pixel centres at integer + 0.5).
                double u = (i00 * dx) + (i01 * dy) + sx - 0.5;
                double v = (i10 * dx) + (i11 * dy) + sy - 0.5;
                int u0 = (int)Math.Floor(u), v0 = (int)Math.Floor(v);
                if (u0 < -1 || v0 < -1 || u0 >= g.Width || v0 >= g.Height)
                {
                    continue;
                }
                double fu = u - u0, fv = v - v0;
                double p00 = Pixel(src, g, u0, v0), p10 = Pixel(src, g, u0 + 1, v0), p01 = Pixel(src, g, u0, v0 + 1), p11 = Pixel(src, g, u0 + 1, v0 + 1);
                double top = p00 + ((p10 - p00) * fu), bottom = p01 + ((p11 - p01) * fu);
                canvas[(y * n) + x] = (float)((top + ((bottom - top) * fv)) / 255.0);
            }
        }
    }

    private static double Pixel(byte[] src, GlyphBitmap g, int x, int y) =>
        (uint)x < (uint)g.Width && (uint)y < (uint)g.Height ? src[(y * g.Width) + x] : 0;

    // Grey-scale morphology with a 3×3 square: whole steps repeat the operation, the fraction blends one more step.
    private static void Stroke(float[] canvas, int n, double amount)
    {
        if (amount == 0)
        {
            return;
        }
        bool dilate = amount > 0;
        double left = Math.Abs(amount);
        var next = new float[canvas.Length];
        while (left > 1e-9)
        {
            double t = Math.Min(1.0, left);
            Morph(canvas, next, n, dilate);
            for (int i = 0; i < canvas.Length; i++)
            {
                canvas[i] = (float)(canvas[i] + (t * (next[i] - canvas[i])));
            }
            left -= t;
        }
    }

    private static void Morph(float[] src, float[] dst, int n, bool dilate)
    {
        for (int y = 0; y < n; y++)
        {
            for (int x = 0; x < n; x++)
            {
                float best = dilate ? 0f : 1f;
                for (int dy = -1; dy <= 1; dy++)
                {
                    int yy = y + dy;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int xx = x + dx;
                        float v = (uint)yy < (uint)n && (uint)xx < (uint)n ? src[(yy * n) + xx] : 0f;
                        best = dilate ? Math.Max(best, v) : Math.Min(best, v);
                    }
                }
                dst[(y * n) + x] = best;
            }
        }
    }

    private static void Blur(float[] image, int size, double sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var kernel = new double[(2 * radius) + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++)
        {
            kernel[i + radius] = Math.Exp(-(i * i) / (2 * sigma * sigma));
            sum += kernel[i + radius];
        }
        for (int i = 0; i < kernel.Length; i++)
        {
            kernel[i] /= sum;
        }
        var temp = new float[image.Length];
        for (int pass = 0; pass < 2; pass++)
        {
            var (from, to) = pass == 0 ? (image, temp) : (temp, image);
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    double acc = 0;
                    for (int k = -radius; k <= radius; k++)
                    {
                        // Zero outside the image (the paper is blank there).
                        int xx = pass == 0 ? x + k : x, yy = pass == 0 ? y : y + k;
                        if ((uint)xx < (uint)size && (uint)yy < (uint)size)
                        {
                            acc += kernel[k + radius] * from[(yy * size) + xx];
                        }
                    }
                    to[(y * size) + x] = (float)acc;
                }
            }
        }
    }
}
