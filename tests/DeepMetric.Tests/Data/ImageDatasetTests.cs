using DeepMetric.Data;

namespace DeepMetric.Tests.Data;

public sealed class ImageDatasetTests
{
    private static readonly string[] s_names = ["zero", "one", "two"];

    // 5 images of 1×1×2; image i holds (i, 10 + i); labels 0, 1, 2, 1, 0.
    private static ImageDataset Five()
    {
        var pixels = new float[10];
        for (int i = 0; i < 5; i++)
        {
            pixels[2 * i] = i;
            pixels[(2 * i) + 1] = 10 + i;
        }
        return new ImageDataset(pixels, [0, 1, 2, 1, 0], 1, 1, 2, s_names);
    }

    [Fact]
    public void Shape()
    {
        var ds = Five();
        Assert.Equal(5, ds.Count);
        Assert.Equal(2, ds.ImageSize);
        Assert.Equal(3, ds.ClassCount);
        Assert.Equal(new[] { 2, 2, 1 }, ds.ClassCounts);
        Assert.Equal(new[] { 3f, 13f }, ds.Image(3).ToArray());
        Assert.Equal("ImageDataset: 5 images of 1×1×2, 3 classes", ds.ToString());
    }

    [Fact]
    public void ConstructorCopiesItsInput()
    {
        var pixels = new float[] { 1, 2 };
        var labels = new[] { 0 };
        var ds = new ImageDataset(pixels, labels, 1, 1, 2, s_names);
        pixels[0] = 99;
        labels[0] = 2;
        Assert.Equal(1f, ds.Pixels[0]);
        Assert.Equal(0, ds.Labels[0]);
    }

    [Fact]
    public void SubsetKeepsOrderAndRepeats()
    {
        var sub = Five().Subset([4, 1, 1]);
        Assert.Equal(new[] { 0, 1, 1 }, sub.Labels.ToArray());
        Assert.Equal(new[] { 4f, 14f, 1f, 11f, 1f, 11f }, sub.Pixels.ToArray());
        Assert.Equal(new[] { 1, 2, 0 }, sub.ClassCounts);
        Assert.Equal(s_names, sub.ClassNames);
    }

    [Fact]
    public void EmptySubset()
    {
        var sub = Five().Subset([]);
        Assert.Equal(0, sub.Count);
        Assert.Equal(3, sub.ClassCount);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(-1)]
    public void SubsetRejectsBadIndex(int bad)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Five().Subset([0, bad]));
        Assert.Equal("indices", e.ParamName);
        Assert.Contains("indices[1]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhereClassesKeepsOriginalOrderAndLabels()
    {
        var ds = Five();
        var sub = ds.WhereClasses(2, 0);
        Assert.Equal(new[] { 0, 2, 0 }, sub.Labels.ToArray());
        Assert.Equal(new[] { 0f, 10f, 2f, 12f, 4f, 14f }, sub.Pixels.ToArray());
        Assert.Equal(new[] { 2, 0, 1 }, sub.ClassCounts);

        Assert.Equal(new[] { 1, 2, 1 }, ds.WhereClasses(1..).Labels.ToArray());
        Assert.Equal(new[] { 2 }, ds.WhereClasses(^1..).Labels.ToArray());
        Assert.Equal(0, ds.WhereClasses(1..1).Count);
        Assert.Equal(0, ds.WhereClasses().Count);
    }

    [Fact]
    public void WhereClassesRejectsUnknownClasses()
    {
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => Five().WhereClasses(3)).ParamName);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => Five().WhereClasses(-1)).ParamName);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => Five().WhereClasses(0..4)).ParamName);
    }

    [Fact]
    public void BatchGathersIntoATensor()
    {
        var (images, labels) = Five().Batch([3, 0]);
        Assert.Equal(new[] { 2, 1, 1, 2 }, images.Shape);
        Assert.Equal(new[] { 3f, 13f, 0f, 10f }, images.ToArray());
        Assert.Equal(new[] { 1, 0 }, labels);
        Assert.Throws<ArgumentOutOfRangeException>(() => Five().Batch([7]));
    }

    [Fact]
    public void ImageRejectsBadIndex() => Assert.Throws<ArgumentOutOfRangeException>(() => Five().Image(5).Length);

    [Fact]
    public void ConstructorValidates()
    {
        Assert.Equal("pixels", Assert.Throws<ArgumentException>(() => new ImageDataset(new float[3], [0], 1, 1, 2, s_names)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => new ImageDataset(new float[2], [3], 1, 1, 2, s_names)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => new ImageDataset(new float[2], [-1], 1, 1, 2, s_names)).ParamName);
        Assert.Equal("classNames", Assert.Throws<ArgumentException>(() => new ImageDataset(new float[2], [0], 1, 1, 2, [])).ParamName);
        Assert.Equal("height", Assert.Throws<ArgumentOutOfRangeException>(() => new ImageDataset(new float[2], [0], 1, 0, 2, s_names)).ParamName);
    }
}
