using System.Buffers.Binary;
using System.Text;
using DeepMetric.Data.Glyphs;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Data.Glyphs;

public sealed class GlyphSetStoreTests
{
    // A hand-made set: no FreeType involved.
    private static GlyphSet Made()
    {
        var rng = new Random(3);
        GlyphSetPart Part(int classes, string script, int first)
        {
            var images = new byte[classes * 2 * 28 * 28];
            rng.NextBytes(images);
            var labels = Enumerable.Range(0, classes * 2).Select(i => i / 2).ToArray();
            return new GlyphSetPart(images, labels, Enumerable.Range(0, classes).Select(c => new GlyphClass(first + c, script, 1)).ToArray());
        }
        return new GlyphSet
        {
            ImageSize = 28,
            Train = Part(3, "Latin", 0x41),
            Test = Part(2, "Greek", 0x3B1),
            Fonts = [new GlyphFont("A.ttf", "A", "Regular", "Version 1.0", new string('0', 64))],
            FreeTypeVersion = "2.12.1",
            Split = GlyphSplitKind.Script,
            Seed = 5,
            InstancesPerClass = 2,
            MaxClassesPerScript = 3,
            Distortion = new GlyphDistortion(MaxShift: 1),
        };
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripsEveryField(bool gzip)
    {
        using var dir = new TempDir();
        string target = dir.File("set");
        var set = Made();
        GlyphSetStore.Write(set, target, compress: gzip);
        Assert.Equal(gzip, File.Exists(Path.Combine(target, "train-images.npy.gz")));
        var back = GlyphSetStore.Load(target);
        Assert.Equal(set.Train.Images, back.Train.Images);
        Assert.Equal(set.Test.Labels, back.Test.Labels);
        Assert.Equal(set.Train.Classes, back.Train.Classes);
        Assert.Equal(set.Test.Classes, back.Test.Classes);
        Assert.Equal(set.Fonts, back.Fonts);
        Assert.Equal(set.Distortion, back.Distortion);
        Assert.Equal(set.FontsSha256, back.FontsSha256);
        Assert.Equal((5UL, 2, 3, GlyphSplitKind.Script), (back.Seed, back.InstancesPerClass, back.MaxClassesPerScript, back.Split));
        var data = back.Test.ToImageDataset(28);
        Assert.Equal(["Greek U+03B1", "Greek U+03B2"], data.ClassNames);
        Assert.Equal(set.Test.Images[5] / 255f, data.Pixels[5]);
    }

    [Fact]
    public void NpyFilesFollowTheNumpyFormat()
    {
        using var dir = new TempDir();
        GlyphSetStore.Write(Made(), dir.File("set"));
        byte[] bytes = File.ReadAllBytes(Path.Combine(dir.File("set"), "train-images.npy"));
        Assert.Equal([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0], bytes[..8]);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(0, (10 + headerLength) % 64);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.StartsWith("{'descr': '|u1', 'fortran_order': False, 'shape': (6, 28, 28), }", header, StringComparison.Ordinal);
        Assert.EndsWith("\n", header, StringComparison.Ordinal);
        Assert.Equal(10 + headerLength + (6 * 784), bytes.Length);
        byte[] labels = File.ReadAllBytes(Path.Combine(dir.File("set"), "train-labels.npy"));
        Assert.Contains("'descr': '<i4'", Encoding.ASCII.GetString(labels, 10, 60), StringComparison.Ordinal);
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(labels.AsSpan(labels.Length - 4)));
    }

    [Fact]
    public void RefusesToOverwriteUnlessAsked_AndLeavesNoTemporaryDirectory()
    {
        using var dir = new TempDir();
        string target = dir.File("set");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "mine.txt"), "user data");
        Assert.Throws<IOException>(() => GlyphSetStore.Write(Made(), target));
        Assert.Equal("user data", File.ReadAllText(Path.Combine(target, "mine.txt")));
        GlyphSetStore.Write(Made(), target, overwrite: true);
        Assert.False(File.Exists(Path.Combine(target, "mine.txt")));
        Assert.True(GlyphSetStore.Exists(target));
        Assert.Equal(["set"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AnEmptyDirectoryIsFilled()
    {
        using var dir = new TempDir();
        GlyphSetStore.Write(Made(), dir.Path);
        Assert.True(GlyphSetStore.Exists(dir.Path));
    }

    [Fact]
    public void ChangedOrMissingArraysAreReported()
    {
        using var dir = new TempDir();
        string target = dir.File("set");
        GlyphSetStore.Write(Made(), target);
        string images = Path.Combine(target, "test-images.npy");
        var bytes = File.ReadAllBytes(images);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(images, bytes);
        var e = Assert.Throws<InvalidDataException>(() => GlyphSetStore.Load(target));
        Assert.Contains("SHA-256", e.Message, StringComparison.Ordinal);
        File.Delete(images);
        var missing = Assert.Throws<FileNotFoundException>(() => GlyphSetStore.Load(target));
        Assert.Contains("test-images.npy", missing.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => GlyphSetStore.Load(dir.File("nothing")));
    }

    [Fact]
    public void TheShippedSetLoadsWithoutFreeType()
    {
        string? shipped = GlyphSetStore.LocateShipped();
        Assert.NotNull(shipped);
        var set = GlyphSetStore.Load(shipped);
        Assert.Equal(28, set.ImageSize);
        Assert.True(set.Train.Classes.Count >= 300 && set.Test.Classes.Count >= 300);
        Assert.Equal(set.Train.Classes.Count * set.InstancesPerClass, set.Train.Count);
        Assert.Empty(set.Train.Classes.Select(c => c.Script).Intersect(set.Test.Classes.Select(c => c.Script)));
        Assert.All(set.Fonts, f => Assert.Equal(64, f.Sha256.Length));
        Assert.Contains(set.Fonts, f => f.Family == "DejaVu Sans");
    }
}
