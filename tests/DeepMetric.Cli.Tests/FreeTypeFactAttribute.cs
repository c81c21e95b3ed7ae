using DeepMetric.Data.Glyphs;

namespace DeepMetric.Cli.Tests;

/// <summary>A fact that needs FreeType and Debian's DejaVu fonts; reported as skipped, with the reason, without them.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FreeTypeFactAttribute : FactAttribute
{
    internal const string DejaVuDirectory = "/usr/share/fonts/truetype/dejavu";

    public FreeTypeFactAttribute()
    {
        if (!GlyphSetGenerator.IsFreeTypeAvailable)
        {
            Skip = "FreeType (libfreetype.so.6) is not installed (apt-get install -y libfreetype6): 'data glyphs' is not tested.";
        }
        else if (!File.Exists(Path.Combine(DejaVuDirectory, "DejaVuSans.ttf")))
        {
            Skip = "Debian's DejaVu fonts are not installed (apt-get install -y fonts-dejavu-core): 'data glyphs' is not tested.";
        }
    }
}
