namespace DeepMetric.Data.Glyphs;

/// <summary>A writing system and the Unicode ranges its characters are drawn from (inclusive bounds).</summary>
/// <param name="Name">Script name (Unicode's, e.g. "Canadian Aboriginal").</param>
/// <param name="Ranges">Code point ranges, inclusive.</param>
public sealed record GlyphScript(string Name, IReadOnlyList<(int First, int Last)> Ranges);
