namespace DeepMetric.Data.Glyphs;

/// <summary>What <see cref="GlyphSetGenerator"/> renders.</summary>
public sealed record GlyphSetOptions
{
    /// <summary>Debian's font directories (fonts-noto-core, fonts-dejavu-core).</summary>
    public static IReadOnlyList<string> DebianFontDirectories { get; } = ["/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/dejavu"];

    /// <summary>Directories searched (recursively) for .ttf/.otf files; missing ones are skipped.</summary>
    public IReadOnlyList<string> FontDirectories { get; init; } = DebianFontDirectories;

    /// <summary>Output image side in pixels (28 or 32).</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>Images per class.</summary>
    public int InstancesPerClass { get; init; } = 12;

    /// <summary>Most classes taken from one script (a seeded sample when it has more).</summary>
    public int MaxClassesPerScript { get; init; } = 40;

    /// <summary>Scripts to use by name (case-insensitive); null for all of <see cref="GlyphScripts.All"/>.</summary>
    public IReadOnlyList<string>? Scripts { get; init; }

    /// <summary>How classes are divided between training and test.</summary>
    public GlyphSplitKind Split { get; init; } = GlyphSplitKind.Script;

    /// <summary>Seed of every random choice (class sampling, font order, distortions, noise).</summary>
    public ulong Seed { get; init; }

    /// <summary>Distortion ranges.</summary>
    public GlyphDistortion Distortion { get; init; } = new();

    /// <summary>
    /// A character whose mean undistorted rendering has cosine similarity above this (after centring) with an earlier
    /// class's is dropped as a homoglyph (Latin A, Greek Alpha, Cyrillic A).
    /// </summary>
    public double DuplicateThreshold { get; init; } = 0.92;

    internal void Validate()
    {
        if (ImageSize is not (28 or 32))
        {
            throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, "Glyph images are 28 or 32 pixels square.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(InstancesPerClass, 2, nameof(InstancesPerClass));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxClassesPerScript, 1, nameof(MaxClassesPerScript));
        if (!(DuplicateThreshold > 0 && DuplicateThreshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(DuplicateThreshold), DuplicateThreshold, "Expected a cosine in (0, 1].");
        }
        ArgumentNullException.ThrowIfNull(FontDirectories);
        Distortion.Validate();
    }
}
