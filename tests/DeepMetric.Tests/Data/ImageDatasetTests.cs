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
        var images = Five().Batch([3, 0]);
        Assert.Equal(new[] { 2, 1, 1, 2 }, images.Shape);
        Assert.Equal(new[] { 3f, 13f, 0f, 10f }, images.ToArray());
        Assert.Equal(new[] { 1, 1, 2 }, Five().ItemShape.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Five().Batch([7]));
    }

    [Fact]
    public void AugmenterAppliesToTrainingReadsOnlyKeyedByStep()
    {
        var ds = Five();
        var augmenter = Augmenter.CropAndFlip(padding: 0, flip: true, seed: 9);
        var augmented = ds.WithAugmenter(augmenter);
        Assert.Same(augmenter, augmented.Augmenter);
        Assert.Null(ds.Augmenter);
        int[] indices = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4];
        var stored = ds.Batch(indices).ToArray();
        // Evaluation reads, and training reads without an augmenter, are the stored pixels.
        Assert.Equal(stored, augmented.Batch(indices).ToArray());
        Assert.Equal(stored, ds.Batch(indices, BatchRequest.Training(3)).ToArray());
        // A training read equals the augmenter applied by hand to the stored batch with the same step.
        for (long step = 0; step < 4; step++)
        {
            var expected = ds.Batch(indices);
            augmenter.Apply(expected, step);
            Assert.Equal(expected.ToArray(), augmented.Batch(indices, BatchRequest.Training(step)).ToArray());
        }
        // Flips of 1×2 images: some image of some step is mirrored, so augmentation did change something.
        Assert.Contains(Enumerable.Range(0, 4), step => !augmented.Batch(indices, BatchRequest.Training(step)).ToArray().SequenceEqual(stored));
        // Subsets keep the augmenter; the shared pixels are untouched.
        Assert.Same(augmenter, augmented.Subset([1]).Augmenter);
        Assert.Equal(stored, ds.Batch(indices).ToArray());
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
