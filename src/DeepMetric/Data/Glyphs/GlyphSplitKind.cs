namespace DeepMetric.Data.Glyphs;

/// <summary>How the classes of a glyph set are divided between training and test.</summary>
public enum GlyphSplitKind
{
    /// <summary>
    /// Whole scripts: every character of a script is on one side (scripts assigned greedily, largest first, to the
    /// side with fewer classes). Test characters come from writing systems never seen in training, so nothing leaks
    /// through near-duplicates inside a script (case pairs, shared strokes, digits that look like letters).
    /// </summary>
    Script,

    /// <summary>Disjoint characters: each script's characters alternate between the sides in a seeded order.</summary>
    Character,
}
