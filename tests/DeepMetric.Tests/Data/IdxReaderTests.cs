using DeepMetric.Data;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    // 3 images of 2×3 pixels, chosen to include both ends of the byte range.
    private static readonly byte[] s_pixels =
    [
        0, 255, 1, 2, 128, 254,
        10, 20, 30, 40, 50, 60,
        255, 255, 255, 0, 0, 0,
    ];
    private static readonly byte[] s_labels = [2, 0, 1];
    private static readonly string[] s_names = ["a", "b", "c"];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false, "images", "labels")]
    [InlineData(true, "images.gz", "labels.gz")]
    [InlineData(true, "images-no-suffix", "labels-no-suffix")]   // gzip detected by content, not name
    [InlineData(false, "images-raw.gz", "labels-raw.gz")]         // raw bytes behind a .gz name
    public void RoundTrip(bool gzip, string imagesName, string labelsName)
    {
        var images = _dir.File(imagesName);
        var labels = _dir.File(labelsName);
        IdxTestFiles.WriteImages(images, 3, 2, 3, s_pixels, gzip);
        IdxTestFiles.WriteLabels(labels, s_labels, gzip);

        var ds = ImageDataset.LoadIdx(images, labels, s_names);

        Assert.Equal(3, ds.Count);
        Assert.Equal((1, 2, 3, 6), (ds.Channels, ds.Height, ds.Width, ds.ImageSize));
        Assert.Equal(new[] { 2, 0, 1 }, ds.Labels.ToArray());
        Assert.Equal(s_names, ds.ClassNames);
        Assert.Equal(new[] { 1, 1, 1 }, ds.ClassCounts);
        var pixels = ds.Pixels.ToArray();
        Assert.Equal(s_pixels.Length, pixels.Length);
        for (int i = 0; i < pixels.Length; i++)
        {
            Assert.Equal(s_pixels[i] / 255.0, pixels[i], 1e-7);
        }
        Assert.Equal(0f, pixels[0]);
        Assert.Equal(1f, pixels[1]);
    }

    [Fact]
    public void ReadImagesKeepsDimensionsAndBytes()
    {
        var path = _dir.File("img");
        IdxTestFiles.WriteImages(path, 3, 2, 3, s_pixels);
        var images = IdxReader.ReadImages(path);
        Assert.Equal((3, 2, 3), (images.Count, images.Rows, images.Columns));
        Assert.Equal(s_pixels, images.Pixels);
    }

    [Fact]
    public void ZeroImagesIsAnEmptyDataset()
    {
        var images = _dir.File("img");
        var labels = _dir.File("lbl");
        IdxTestFiles.WriteImages(images, 0, 28, 28, []);
        IdxTestFiles.WriteLabels(labels, []);
        var ds = ImageDataset.LoadIdx(images, labels, s_names);
        Assert.Equal(0, ds.Count);
        Assert.Equal(new[] { 0, 0, 0 }, ds.ClassCounts);
    }

    [Fact]
    public void NullClassNamesAreNumbersUpToTheLargestLabel()
    {
        var (images, labels) = WriteGoodPair();
        var ds = ImageDataset.LoadIdx(images, labels);
        Assert.Equal(new[] { "0", "1", "2" }, ds.ClassNames);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EmptyFile(bool gzip)
    {
        var path = _dir.File("empty");
        File.WriteAllBytes(path, gzip ? IdxTestFiles.Gzip([]) : []);
        AssertInvalid(path, () => IdxReader.ReadImages(path), "empty");
    }

    [Fact]
    public void LabelsFileReadAsImagesIsBadMagic()
    {
        var path = _dir.File("labels");
        IdxTestFiles.WriteLabels(path, s_labels);
        var e = AssertInvalid(path, () => IdxReader.ReadImages(path), "bad magic number 0x00000801");
        Assert.Contains("labels file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImagesFileReadAsLabelsIsBadMagic()
    {
        var path = _dir.File("images");
        IdxTestFiles.WriteImages(path, 3, 2, 3, s_pixels);
        AssertInvalid(path, () => IdxReader.ReadLabels(path), "expected 0x00000801");
    }

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0 })]   // a PNG
    [InlineData(new byte[] { 0, 0, 0x0D, 3, 0, 0, 0, 0 })]             // IDX of float32
    public void ForeignFileIsBadMagic(byte[] content)
    {
        var path = _dir.File("foreign");
        File.WriteAllBytes(path, content);
        AssertInvalid(path, () => IdxReader.ReadImages(path), "bad magic number");
    }

    [Fact]
    public void TooShortForMagic()
    {
        var path = _dir.File("short");
        File.WriteAllBytes(path, [0, 0, 8]);
        AssertInvalid(path, () => IdxReader.ReadImages(path), "truncated");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedHeader(bool gzip)
    {
        var path = _dir.File("header");
        var full = IdxTestFiles.Idx(0x803, [3, 2, 3], s_pixels);
        IdxTestFiles.Write(path, full[..10], gzip);   // magic, one size and half of the next
        AssertInvalid(path, () => IdxReader.ReadImages(path), "truncated header");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedData(bool gzip)
    {
        var path = _dir.File("data");
        var full = IdxTestFiles.Idx(0x803, [3, 2, 3], s_pixels);
        IdxTestFiles.Write(path, full[..^1], gzip);
        var e = AssertInvalid(path, () => IdxReader.ReadImages(path), "truncated");
        Assert.Contains("18 data bytes but only 17", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrailingBytes()
    {
        var path = _dir.File("trailing");
        File.WriteAllBytes(path, [.. IdxTestFiles.Idx(0x801, [3], s_labels), 7]);
        AssertInvalid(path, () => IdxReader.ReadLabels(path), "unexpected bytes after");
    }

    [Fact]
    public void TruncatedGzipStream()
    {
        var path = _dir.File("cut.gz");
        var gz = IdxTestFiles.Gzip(IdxTestFiles.Idx(0x803, [3, 2, 3], s_pixels));
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        // Depending on where the cut falls, the stream ends early or fails to inflate: both must name the file.
        AssertInvalid(path, () => IdxReader.ReadImages(path), "");
    }

    [Fact]
    public void CorruptGzipStream()
    {
        var path = _dir.File("bad.gz");
        File.WriteAllBytes(path, [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        AssertInvalid(path, () => IdxReader.ReadImages(path), "");
    }

    [Fact]
    public void HugeDeclaredSize()
    {
        var path = _dir.File("huge");
        File.WriteAllBytes(path, IdxTestFiles.Idx(0x803, [60000, 60000, 60000], []));
        AssertInvalid(path, () => IdxReader.ReadImages(path), "more than");
    }

    [Fact]
    public void CountMismatchNamesBothFiles()
    {
        var images = _dir.File("images");
        var labels = _dir.File("labels");
        IdxTestFiles.WriteImages(images, 3, 2, 3, s_pixels);
        IdxTestFiles.WriteLabels(labels, [0, 1]);
        var e = Assert.Throws<InvalidDataException>(() => ImageDataset.LoadIdx(images, labels, s_names));
        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("3 images", e.Message, StringComparison.Ordinal);
        Assert.Contains("2 labels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelWithoutClassName()
    {
        var (images, labels) = WriteGoodPair();
        var e = Assert.Throws<InvalidDataException>(() => ImageDataset.LoadIdx(images, labels, ["a", "b"]));
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("label 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile()
    {
        var missing = _dir.File("nope");
        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyPathIsRejected() => Assert.Throws<ArgumentException>(() => IdxReader.ReadImages(""));

    private (string Images, string Labels) WriteGoodPair()
    {
        var images = _dir.File("images");
        var labels = _dir.File("labels");
        IdxTestFiles.WriteImages(images, 3, 2, 3, s_pixels);
        IdxTestFiles.WriteLabels(labels, s_labels);
        return (images, labels);
    }

    private static InvalidDataException AssertInvalid(string path, Action read, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(read);
        Assert.Contains($"'{path}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        return e;
    }
}
