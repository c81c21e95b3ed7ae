namespace DeepMetric.Data.Glyphs;

/// <summary>
/// The ranges of the random distortions applied to each rendered glyph instance; every value is drawn uniformly from
/// its range with a generator keyed by the set's seed, the code point and the instance number. Distances are in
/// output pixels.
/// </summary>
/// <param name="MaxShift">Largest translation along each axis.</param>
/// <param name="MaxRotationDegrees">Largest rotation either way.</param>
/// <param name="MinScale">Smallest scale factor.</param>
/// <param name="MaxScale">Largest scale factor.</param>
/// <param name="MaxShear">Largest horizontal shear (slant) either way, as a tangent.</param>
/// <param name="MinStroke">Thinnest stroke change: -1 erodes by one half-pixel step (grey-scale 3×3 minimum at twice the output resolution); fractions blend.</param>
/// <param name="MaxStroke">Thickest stroke change: +1 dilates by one half-pixel step; values above 1 repeat it.</param>
/// <param name="MaxBlurSigma">Largest Gaussian blur standard deviation.</param>
/// <param name="MaxNoiseSigma">Largest standard deviation of additive Gaussian pixel noise (intensities in [0, 1]).</param>
public sealed record GlyphDistortion(
    double MaxShift = 1.5,
    double MaxRotationDegrees = 12,
    double MinScale = 0.85,
    double MaxScale = 1.15,
    double MaxShear = 0.15,
    double MinStroke = -0.7,
    double MaxStroke = 1.5,
    double MaxBlurSigma = 0.7,
    double MaxNoiseSigma = 0.05)
{
    /// <summary>No distortion: the glyph centred at its nominal size.</summary>
    public static GlyphDistortion None { get; } = new(0, 0, 1, 1, 0, 0, 0, 0, 0);

    /// <summary>Draws one instance's parameters.</summary>
    internal GlyphInstance Draw(ref SplitMix64 rng) => new(
        rng.Uniform(-MaxShift, MaxShift),
        rng.Uniform(-MaxShift, MaxShift),
        rng.Uniform(-MaxRotationDegrees, MaxRotationDegrees) * Math.PI / 180,
        rng.Uniform(MinScale, MaxScale),
        rng.Uniform(-MaxShear, MaxShear),
        rng.Uniform(MinStroke, MaxStroke),
        rng.Uniform(0, MaxBlurSigma),
        rng.Uniform(0, MaxNoiseSigma));

    /// <summary>Fails when a range is reversed, negative where it must not be, or not finite.</summary>
    internal void Validate()
    {
        double[] all = [MaxShift, MaxRotationDegrees, MinScale, MaxScale, MaxShear, MinStroke, MaxStroke, MaxBlurSigma, MaxNoiseSigma];
        if (all.Any(v => !double.IsFinite(v)) || MaxShift < 0 || MaxRotationDegrees < 0 || MinScale <= 0 || MaxScale < MinScale
            || MaxShear < 0 || MaxStroke < MinStroke || MinStroke < -2 || MaxStroke > 4 || MaxBlurSigma < 0 || MaxNoiseSigma < 0)
        {
            throw new ArgumentException($"Invalid glyph distortion ranges: {this}.");
        }
    }
}
