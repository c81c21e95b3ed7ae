using DeepMetric.Data.Glyphs;

namespace DeepMetric.Tests.Data.Glyphs;

/// <summary>
/// A fact that needs FreeType (libfreetype.so.6) and Debian's DejaVu and Noto fonts; reported as skipped, with the
/// reason, when they are missing (CI installs them: libfreetype6 fonts-noto-core fonts-dejavu-core).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FreeTypeFactAttribute : FactAttribute
{
    internal const string DejaVuDirectory = "/usr/share/fonts/truetype/dejavu";
    internal const string NotoDirectory = "/usr/share/fonts/truetype/noto";

    public FreeTypeFactAttribute()
    {
        if (!GlyphSetGenerator.IsFreeTypeAvailable)
        {
            Skip = "FreeType (libfreetype.so.6) is not installed (apt-get install -y libfreetype6): the glyph generator is not tested.";
        }
        else if (!File.Exists(Path.Combine(DejaVuDirectory, "DejaVuSans.ttf")) || !File.Exists(Path.Combine(NotoDirectory, "NotoSans-Regular.ttf")))
        {
            Skip = "Debian's fonts are not installed (apt-get install -y fonts-dejavu-core fonts-noto-core): the glyph generator is not tested.";
        }
    }
}
