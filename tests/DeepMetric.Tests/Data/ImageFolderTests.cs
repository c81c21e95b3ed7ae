using System.Text;
using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Data;

public sealed class ImageFolderTests
{
    private static byte[] Pgm(int w, int h, params byte[] pixels) => [.. Encoding.ASCII.GetBytes($"P5 {w} {h} 255\n"), .. pixels];

    [Fact]
    public void TwoClassesSortedByNameMixedFormatsExtraFilesIgnored()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("b_dog"));
        Directory.CreateDirectory(dir.File("a_cat"));
        File.WriteAllBytes(Path.Combine(dir.Path, "b_dog", "1.pgm"), Pgm(2, 2, 0, 51, 102, 255));
        // An RGB PNG 2×2 in the cat class: grey = 0.299 R + 0.587 G + 0.114 B.
        byte[][] rows = [[255, 0, 0, 0, 255, 0], [0, 0, 255, 10, 20, 30]];
        File.WriteAllBytes(Path.Combine(dir.Path, "a_cat", "z.PNG"), TestPng.Encode(2, 2, 8, 2, rows, 3, y => y + 1));
        File.WriteAllBytes(Path.Combine(dir.Path, "a_cat", "a.pgm"), Pgm(2, 2, 1, 2, 3, 4));
        File.WriteAllText(Path.Combine(dir.Path, "a_cat", "notes.txt"), "not an image");

        var ds = ImageFolder.Load(dir.Path);
        Assert.Equal(["a_cat", "b_dog"], ds.ClassNames);
        Assert.Equal([0, 0, 1], ds.Labels.ToArray());   // a.pgm, z.PNG, then the dog
        Assert.Equal((1, 2, 2), (ds.Channels, ds.Height, ds.Width));
        Assert.Equal([1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f], ds.Image(0).ToArray());
        double[] grey = [0.299, 0.587, 0.114, ((0.299 * 10) + (0.587 * 20) + (0.114 * 30)) / 255];
        var cat = ds.Image(1).ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(grey[i], cat[i], 1e-6);
        }
        Assert.Equal([0f, 0.2f, 0.4f, 1f], ds.Image(2).ToArray());

        var rgb = ImageFolder.Load(dir.Path, new ImageFolderOptions { ColorMode = ImageColorMode.Rgb });
        Assert.Equal(3, rgb.Channels);
        // Planar [C, H, W]: the R plane of the PNG, then G, then B.
        Assert.Equal([1f, 0f, 0f, 10 / 255f, 0f, 1f, 0f, 20 / 255f, 0f, 0f, 1f, 30 / 255f], rgb.Image(1).ToArray());
        // Grey images are replicated into the three planes.
        Assert.Equal([1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f, 1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f, 1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f], rgb.Image(0).ToArray());
    }

    [Fact]
    public void ResizesToTheRequestedSize()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("c"));
        // 2×1 image [0, 255] upsampled to 4×1: half-pixel centres give 0, 0.25, 0.75, 1 (hand-worked).
        File.WriteAllBytes(Path.Combine(dir.Path, "c", "a.pgm"), Pgm(2, 1, 0, 255));
        // 4×2 image downsampled to 4×1 along y only: rows averaged (centre of output row 0 sits between the rows).
        File.WriteAllBytes(Path.Combine(dir.Path, "c", "b.pgm"), Pgm(4, 2, 0, 10, 20, 30, 50, 60, 70, 80));
        var ds = ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = 4, Height = 1 });
        Assert.Equal([0f, 0.25f, 0.75f, 1f], ds.Image(0).ToArray());
        float[] avg = [25 / 255f, 35 / 255f, 45 / 255f, 55 / 255f];
        var b = ds.Image(1).ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(avg[i], b[i], 1e-6f);
        }

        var nearest = ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = 4, Height = 1, Resize = ImageResizeMode.Nearest });
        Assert.Equal([0f, 0f, 1f, 1f], nearest.Image(0).ToArray());
        // Nearest row for output row 0 of 1 from 2 rows: ⌊0.5·2⌋ = 1.
        Assert.Equal([50 / 255f, 60 / 255f, 70 / 255f, 80 / 255f], nearest.Image(1).ToArray());
    }

    [Fact]
    public void CorruptFileNamesTheFile()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("c"));
        string bad = Path.Combine(dir.Path, "c", "broken.png");
        File.WriteAllBytes(bad, [137, 80, 78, 71, 13, 10, 26, 10, 0, 0]);
        var ex = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path));
        Assert.Contains("broken.png", ex.Message, StringComparison.Ordinal);
        File.WriteAllBytes(bad, []);
        ex = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path));
        Assert.Contains("broken.png", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyOrMissingFolders()
    {
        using var dir = new TempDir();
        Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path));   // no class folders
        Directory.CreateDirectory(dir.File("c"));
        Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path));   // no images
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load(dir.File("missing")));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = 0 }));
    }

    [Fact]
    public void ListFilesAndLoadImageFollowLoad()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("b"));
        Directory.CreateDirectory(dir.File("a"));
        File.WriteAllBytes(Path.Combine(dir.Path, "b", "1.pgm"), Pgm(2, 2, 0, 51, 102, 255));
        File.WriteAllBytes(Path.Combine(dir.Path, "a", "z.pgm"), Pgm(2, 2, 1, 2, 3, 4));
        File.WriteAllBytes(Path.Combine(dir.Path, "a", "y.pgm"), Pgm(2, 2, 5, 6, 7, 8));
        File.WriteAllText(Path.Combine(dir.Path, "a", "notes.txt"), "not an image");

        Assert.Equal(["a/y.pgm", "a/z.pgm", "b/1.pgm"], ImageFolder.ListFiles(dir.Path));
        var ds = ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = 1, Height = 1 });
        var one = ImageFolder.LoadImage(Path.Combine(dir.Path, "b", "1.pgm"), ImageColorMode.Gray, 1, 1);
        Assert.Equal(ds.Image(2).ToArray(), one);
        // Bilinear 2×2 → 1×1 samples the centre, between all four pixels: their mean, (0 + 51 + 102 + 255) / 4 / 255.
        Assert.Equal(408 / 4.0 / 255, one[0], 1e-6);
        Assert.Equal(12, ImageFolder.LoadImage(Path.Combine(dir.Path, "a", "y.pgm"), ImageColorMode.Rgb, 2, 2).Length);
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.ListFiles(dir.File("missing")));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFolder.LoadImage(Path.Combine(dir.Path, "a", "y.pgm"), ImageColorMode.Gray, 0, 1));
    }
}
