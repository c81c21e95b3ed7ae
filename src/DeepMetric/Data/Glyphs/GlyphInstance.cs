namespace DeepMetric.Data.Glyphs;

/// <summary>One drawn set of distortion parameters (see <see cref="GlyphDistortion"/>).</summary>
internal readonly record struct GlyphInstance(double ShiftX, double ShiftY, double Rotation, double Scale, double Shear, double Stroke, double BlurSigma, double NoiseSigma);
