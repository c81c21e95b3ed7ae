namespace DeepMetric.Data.Glyphs;

/// <summary>A font file a glyph set was rendered from.</summary>
/// <param name="File">File name relative to its font directory.</param>
/// <param name="Family">Family name.</param>
/// <param name="Style">Style name (weight and slant).</param>
/// <param name="Version">The version string of the font's name table (ID 5), or "" when absent.</param>
/// <param name="Sha256">SHA-256 of the file, lower-case hex.</param>
public sealed record GlyphFont(string File, string Family, string Style, string Version, string Sha256);
