using System.Globalization;

namespace DeepMetric.Data.Glyphs;

/// <summary>One class of a glyph set: a character of a script.</summary>
/// <param name="CodePoint">The Unicode code point.</param>
/// <param name="Script">The script's name (<see cref="GlyphScript.Name"/>).</param>
/// <param name="FontCount">How many of the set's fonts render it.</param>
public sealed record GlyphClass(int CodePoint, string Script, int FontCount)
{
    /// <summary>The class name used as a dataset class name: "Script U+XXXX".</summary>
    public string Name => string.Create(CultureInfo.InvariantCulture, $"{Script} U+{CodePoint:X4}");
}
