using System.Security.Cryptography;
using DeepMetric.Data.Glyphs;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Data.Glyphs;

public sealed class GlyphSetGeneratorTests
{
    private static GlyphSetOptions Small(string fontDir, GlyphSplitKind split = GlyphSplitKind.Script, ulong seed = 0) => new()
    {
        FontDirectories = [fontDir],
        Scripts = ["Latin", "Greek", "Cyrillic", "Armenian"],
        MaxClassesPerScript = 5,
        InstancesPerClass = 3,
        Split = split,
        Seed = seed,
    };

    private static string DejaVuSansOnly(TempDir dir)
    {
        File.Copy(Path.Combine(FreeTypeFactAttribute.DejaVuDirectory, "DejaVuSans.ttf"), dir.File("DejaVuSans.ttf"));
        return dir.Path;
    }

    [FreeTypeFact]
    public void SameFontsAndOptionsGiveTheSameBytes_AnotherSeedDoesNot()
    {
        var a = GlyphSetGenerator.Generate(Small(FreeTypeFactAttribute.DejaVuDirectory));
        var b = GlyphSetGenerator.Generate(Small(FreeTypeFactAttribute.DejaVuDirectory));
        Assert.Equal(a.Train.Images, b.Train.Images);
        Assert.Equal(a.Test.Images, b.Test.Images);
        Assert.Equal(a.Train.Classes, b.Train.Classes);
        Assert.Equal(a.FontsSha256, b.FontsSha256);
        var c = GlyphSetGenerator.Generate(Small(FreeTypeFactAttribute.DejaVuDirectory, seed: 7));
        Assert.NotEqual(a.Train.Images, c.Train.Images);
    }

    [FreeTypeFact]
    public void ScriptSplitKeepsWholeScriptsApart_AndEveryImageHasInk()
    {
        var set = GlyphSetGenerator.Generate(Small(FreeTypeFactAttribute.DejaVuDirectory));
        var trainScripts = set.Train.Classes.Select(c => c.Script).ToHashSet();
        var testScripts = set.Test.Classes.Select(c => c.Script).ToHashSet();
        Assert.Empty(trainScripts.Intersect(testScripts));
        Assert.Equal(4, trainScripts.Count + testScripts.Count);
        // 4 scripts × 5 classes (each has far more than 5 letters in DejaVu), greedy balance gives 10 / 10.
        Assert.Equal(10, set.Train.Classes.Count);
        Assert.Equal(10, set.Test.Classes.Count);
        foreach (var part in new[] { set.Train, set.Test })
        {
            Assert.Equal(part.Classes.Count * 3, part.Count);
            Assert.Equal(part.Count * 28 * 28, part.Images.Length);
            for (int i = 0; i < part.Count; i++)
            {
                // Ink: a clearly dark pixel (noise alone stays far below 200 at σ ≤ 0.05).
                Assert.Contains(part.Images.AsSpan(i * 784, 784).ToArray(), p => p > 200);
            }
            Assert.All(part.Labels, l => Assert.InRange(l, 0, part.Classes.Count - 1));
        }
    }

    [FreeTypeFact]
    public void CharacterSplitSharesScriptsButNotCharacters()
    {
        var set = GlyphSetGenerator.Generate(Small(FreeTypeFactAttribute.DejaVuDirectory, GlyphSplitKind.Character));
        Assert.Empty(set.Train.Classes.Select(c => c.CodePoint).Intersect(set.Test.Classes.Select(c => c.CodePoint)));
        Assert.Equal(set.Train.Classes.Select(c => c.Script).ToHashSet(), set.Test.Classes.Select(c => c.Script).ToHashSet());
    }

    [FreeTypeFact]
    public void OnlyCharactersTheFontHasBecomeClasses()
    {
        // DejaVu Sans covers Latin but has no Ethiopic glyph (its cmap maps none of U+1200-U+135A).
        using var dir = new TempDir();
        var options = new GlyphSetOptions
        {
            FontDirectories = [DejaVuSansOnly(dir)],
            Scripts = ["Ethiopic", "Latin"],
            MaxClassesPerScript = 8,
            InstancesPerClass = 2,
            Split = GlyphSplitKind.Character,
        };
        var set = GlyphSetGenerator.Generate(options);
        Assert.All(set.Train.Classes.Concat(set.Test.Classes), c => Assert.Equal("Latin", c.Script));
        Assert.All(set.Train.Classes.Concat(set.Test.Classes), c => Assert.Equal(1, c.FontCount));
        // By script, Latin alone cannot fill both sides.
        Assert.Throws<InvalidDataException>(() => GlyphSetGenerator.Generate(options with { Split = GlyphSplitKind.Script }));
    }

    [FreeTypeFact]
    public void MetadataNamesTheFontWithItsVersionAndHash()
    {
        using var dir = new TempDir();
        var set = GlyphSetGenerator.Generate(Small(DejaVuSansOnly(dir)));
        var font = Assert.Single(set.Fonts);
        Assert.Equal("DejaVuSans.ttf", font.File);
        Assert.Equal("DejaVu Sans", font.Family);
        Assert.Equal("Book", font.Style);
        Assert.StartsWith("Version 2.", font.Version, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(dir.File("DejaVuSans.ttf")))), font.Sha256);
        Assert.Matches(@"^2\.\d+\.\d+$", set.FreeTypeVersion);
    }

    [FreeTypeFact]
    public void HomoglyphsAcrossScriptsAreDropped()
    {
        // Latin A, Greek Alpha and Cyrillic A are the same outline in DejaVu Sans: at most one survives.
        using var dir = new TempDir();
        var set = GlyphSetGenerator.Generate(new GlyphSetOptions
        {
            FontDirectories = [DejaVuSansOnly(dir)],
            Scripts = ["Latin", "Greek", "Cyrillic"],
            MaxClassesPerScript = 200,
            InstancesPerClass = 2,
            Split = GlyphSplitKind.Character,
        });
        var all = set.Train.Classes.Concat(set.Test.Classes).Select(c => c.CodePoint).ToHashSet();
        Assert.True(new[] { 0x41, 0x391, 0x410 }.Count(all.Contains) == 1, "exactly one of A / Alpha / Cyrillic A");
        Assert.True(set.DroppedDuplicates > 0);
    }

    [FreeTypeFact]
    public void NoFontsIsAClearError()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<InvalidDataException>(() => GlyphSetGenerator.Generate(Small(dir.Path)));
        Assert.Contains(dir.Path, e.Message, StringComparison.Ordinal);
    }
}
