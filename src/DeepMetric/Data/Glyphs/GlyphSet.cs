using System.Security.Cryptography;
using System.Text;

namespace DeepMetric.Data.Glyphs;

/// <summary>
/// A rendered glyph benchmark: characters of many scripts, each a class, its images drawn from different fonts with
/// seeded distortions; training and test classes are disjoint (<see cref="Split"/>). Made by
/// <see cref="GlyphSetGenerator"/> (needs FreeType), stored and read by <see cref="GlyphSetStore"/> (does not).
/// </summary>
public sealed class GlyphSet
{
    /// <summary>Format version of the stored set.</summary>
    public const int FormatVersion = 1;

    /// <summary>Image side in pixels.</summary>
    public required int ImageSize { get; init; }

    /// <summary>The training classes and their images.</summary>
    public required GlyphSetPart Train { get; init; }

    /// <summary>The test classes (never trained on) and their images.</summary>
    public required GlyphSetPart Test { get; init; }

    /// <summary>The font files that render at least one class, in file-name order.</summary>
    public required IReadOnlyList<GlyphFont> Fonts { get; init; }

    /// <summary>The FreeType version that rendered the set.</summary>
    public required string FreeTypeVersion { get; init; }

    /// <summary>How classes were divided.</summary>
    public required GlyphSplitKind Split { get; init; }

    /// <summary>The generator's seed.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Images per class.</summary>
    public required int InstancesPerClass { get; init; }

    /// <summary>Most classes per script.</summary>
    public required int MaxClassesPerScript { get; init; }

    /// <summary>The distortion ranges.</summary>
    public required GlyphDistortion Distortion { get; init; }

    /// <summary>Candidate characters dropped as homoglyphs of an earlier class.</summary>
    public int DroppedDuplicates { get; init; }

    /// <summary>
    /// SHA-256 (hex) over the used fonts' file names and content hashes, one "name sha256" line each in order: equal
    /// values mean the same font files, hence (with the same options and FreeType) the same images.
    /// </summary>
    public string FontsSha256 => Sha256Hex(string.Concat(Fonts.Select(f => $"{f.File} {f.Sha256}\n")));

    internal static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
