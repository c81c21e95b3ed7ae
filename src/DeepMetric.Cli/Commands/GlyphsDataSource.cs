using System.Globalization;
using DeepMetric.Data.Glyphs;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>--data glyphs</c>: a glyph set stored by <c>deepmetric data glyphs</c> (<c>--data-dir DIR</c>), or the shipped demo
/// set. Open-set by construction: the test classes are characters (by default whole scripts) never trained on.
/// Read without FreeType.
/// </summary>
internal static class GlyphsDataSource
{
    /// <summary>Loads the set in <paramref name="directory"/>, or the shipped one when null.</summary>
    internal static DataSplit Load(string? directory)
    {
        string dir = directory is null
            ? GlyphSetStore.LocateShipped() ?? throw new DirectoryNotFoundException(
                $"The shipped glyph set ({GlyphSetStore.ShippedDirectory}) was not found beside the tool or in the current directory and its parents; pass --data-dir DIR with a set written by 'deepmetric data glyphs', or use --data fashion-mnist.")
            : Path.GetFullPath(directory);
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"Glyph set directory '{dir}' does not exist.");
        }
        var set = GlyphSetStore.Load(dir);
        var train = set.Train.ToImageDataset(set.ImageSize);
        var test = set.Test.ToImageDataset(set.ImageSize);
        string side = set.Split == GlyphSplitKind.Script ? "scripts" : "characters";
        return new DataSplit(DataSourceOptions.GlyphsSource, train, test, DataSourceOptions.Ids("train", train.Count), DataSourceOptions.Ids("test", test.Count),
            string.Create(CultureInfo.InvariantCulture, $"glyph set {dir} ({set.Fonts.Count} fonts, FreeType {set.FreeTypeVersion}, {set.ImageSize}×{set.ImageSize})"))
        {
            TrainClasses = Describe(set.Train, ""),
            TestClasses = Describe(set.Test, "unseen "),
            SplitDescription = set.Split == GlyphSplitKind.Script
                ? "open-set by script: test characters come from scripts never trained on"
                : "open-set by character: test characters never trained on (scripts shared)",
            Paths = [dir],
            Headline = $"characters never seen in training ({(set.Split == GlyphSplitKind.Script ? "from scripts never seen" : "disjoint " + side)})",
        };
    }

    private static string Describe(GlyphSetPart part, string prefix) => string.Create(CultureInfo.InvariantCulture,
        $"{prefix}{part.Classes.Count:N0} characters of {part.Classes.Select(c => c.Script).Distinct().Count()} scripts");
}
