using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Tensors.Random;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Data.Images;

public sealed class ImageFolderDatasetTests
{
    // root/<class>/<i>.png: RGB PNGs of varied sizes with random content, written by the test's own encoder.
    private static TempDir MakeFolder(int classes, int perClass, ulong seed = 1)
    {
        var dir = new TempDir();
        var rng = new Prng(seed);
        for (int c = 0; c < classes; c++)
        {
            Directory.CreateDirectory(dir.File($"class{c}"));
            for (int i = 0; i < perClass; i++)
            {
                int w = 20 + rng.NextInt(30), h = 20 + rng.NextInt(30);
                var rows = new byte[h][];
                for (int y = 0; y < h; y++)
                {
                    rows[y] = new byte[w * 3];
                    for (int x = 0; x < rows[y].Length; x++)
                    {
                        rows[y][x] = (byte)rng.NextInt(256);
                    }
                }
                File.WriteAllBytes(Path.Combine(dir.Path, $"class{c}", $"{i:D3}.png"), TestPng.Encode(w, h, 8, 2, rows, 3, _ => 0));
            }
        }
        return dir;
    }

    private static readonly ImageTransformOptions s_options = new() { Width = 16, Height = 12, Jitter = 0.4, Normalize = Normalize.ImageNet };

    private static ImageFolderDataset Open(string root, ImageFolderDatasetOptions? options = null) =>
        ImageFolderDataset.Open(root, ImageTransform.ForEvaluation(s_options), ImageTransform.ForTraining(s_options), options ?? new() { Seed = 42 });

    [Fact]
    public void LabelsShapeAndEvaluationReads()
    {
        using var dir = MakeFolder(3, 4);
        var ds = Open(dir.Path);
        Assert.Equal(12, ds.Count);
        Assert.Equal(["class0", "class1", "class2"], ds.ClassNames);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], ds.Labels.ToArray());
        Assert.Equal([3, 12, 16], ds.ItemShape.ToArray());
        var batch = ds.Batch([5, 0]);
        Assert.Equal([2, 3, 12, 16], batch.Shape);
        // Each item is the evaluation transform of its decoded file, whatever the slot and the step.
        var expected = new float[3 * 12 * 16];
        ds.Evaluation.Apply(ImageReader.Read(ds.Paths[5], ImageColorMode.Rgb), expected, new Prng(0));
        Assert.Equal(expected, batch.ToArray()[..expected.Length]);
        Assert.Equal(batch.ToArray(), ds.Batch([5, 0], new BatchRequest(false, 99)).ToArray());
        var grey = Open(dir.Path, new ImageFolderDatasetOptions { ColorMode = ImageColorMode.Gray, Seed = 42 });
        Assert.Equal([1, 12, 16], grey.ItemShape.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Batch([12]));
    }

    [Fact]
    public void AugmentedReadsAreAPureFunctionOfSeedStepAndSlot()
    {
        using var dir = MakeFolder(2, 5);
        int[] indices = [1, 7, 3, 3, 9, 0];
        var a = Open(dir.Path).Batch(indices, BatchRequest.Training(17)).ToArray();
        // Another instance, serial decoding, after other reads (a resumed run): bit-identical.
        var other = Open(dir.Path, new ImageFolderDatasetOptions { Seed = 42, MaxParallelism = 1 });
        other.Batch([2, 4], BatchRequest.Training(3));
        Assert.Equal(a, other.Batch(indices, BatchRequest.Training(17)).ToArray());
        // Other step, other seed: other augmentation; the same image in two slots is augmented differently.
        Assert.NotEqual(a, Open(dir.Path).Batch(indices, BatchRequest.Training(18)).ToArray());
        Assert.NotEqual(a, Open(dir.Path, new ImageFolderDatasetOptions { Seed = 43 }).Batch(indices, BatchRequest.Training(17)).ToArray());
        int item = 3 * 12 * 16;
        Assert.NotEqual(a.AsSpan(2 * item, item).ToArray(), a.AsSpan(3 * item, item).ToArray());
        // A subset reads its items as the parent reads them.
        var subset = Open(dir.Path).Subset(indices);
        Assert.Equal(indices.Select(i => i / 5).ToArray(), subset.Labels.ToArray());
        Assert.Equal(a, subset.Batch([0, 1, 2, 3, 4, 5], BatchRequest.Training(17)).ToArray());
    }

    [Fact]
    public void EmptyClassFolderAndMissingRootAreNamed()
    {
        using var dir = MakeFolder(2, 2);
        string empty = dir.File("zebra");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "no images here");
        var ex = Assert.Throws<InvalidDataException>(() => Open(dir.Path));
        Assert.Contains(empty, ex.Message, StringComparison.Ordinal);
        using var bare = new TempDir();
        ex = Assert.Throws<InvalidDataException>(() => Open(bare.Path));
        Assert.Contains(bare.Path, ex.Message, StringComparison.Ordinal);
        Assert.Throws<DirectoryNotFoundException>(() => Open(bare.File("missing")));
    }

    [Fact]
    public void ABadFileFailsTheBatchNamingIt()
    {
        using var dir = MakeFolder(2, 3);
        string bad = Path.Combine(dir.Path, "class1", "001.png");
        File.WriteAllText(bad, "not a png");
        var ds = Open(dir.Path);
        Assert.Equal(6, ds.Count);   // opening decodes nothing
        ds.Batch([0, 1, 2]);
        var ex = Assert.Throws<InvalidDataException>(() => ds.Batch([0, 4, 2], BatchRequest.Training(1)));
        Assert.Contains(bad, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFilesFindsBadFilesWithoutDecoding()
    {
        using var dir = MakeFolder(2, 3);
        var ds = Open(dir.Path);
        Assert.Empty(ds.CheckFiles());
        string text = Path.Combine(dir.Path, "class0", "002.png");
        File.WriteAllText(text, "text");
        string cut = Path.Combine(dir.Path, "class1", "000.png");
        File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..^30]);   // cut inside the image data: the header still reads
        var failures = Open(dir.Path).CheckFiles();
        Assert.Equal([2, 3], failures.Select(f => f.Index).ToArray());
        Assert.Contains(text, failures[0].Error.Message, StringComparison.Ordinal);
        Assert.Contains(cut, failures[1].Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CacheStaysWithinItsBoundAndServesHits()
    {
        using var dir = MakeFolder(2, 6);
        var plain = Open(dir.Path).Batch([0, 1, 2, 3], BatchRequest.Training(5)).ToArray();
        long bound = 3 * 49 * 49 * 3;   // room for about three of the largest images
        var ds = Open(dir.Path, new ImageFolderDatasetOptions { Seed = 42, CacheBytes = bound });
        for (int step = 0; step < 4; step++)
        {
            ds.Batch([.. Enumerable.Range(0, 12)], BatchRequest.Training(step));
            Assert.InRange(ds.Cache!.SizeBytes, 1, bound);
        }
        Assert.Equal(plain, ds.Batch([0, 1, 2, 3], BatchRequest.Training(5)).ToArray());
        Assert.Same(ds.Cache, ((ImageFolderDataset)ds.Subset([1, 2])).Cache);
    }

    [Fact]
    public void LruEvictsTheLeastRecentlyUsed()
    {
        var cache = new DecodedImageCache(30);
        int decodes = 0;
        PixelImage Make(string _)
        {
            decodes++;
            return new PixelImage(10, 1, 1, new byte[10]);
        }
        cache.GetOrAdd("a", Make);
        cache.GetOrAdd("b", Make);
        cache.GetOrAdd("c", Make);
        cache.GetOrAdd("a", Make);   // hit; b is now the oldest
        cache.GetOrAdd("d", Make);   // evicts b
        Assert.Equal(4, decodes);
        cache.GetOrAdd("a", Make);
        cache.GetOrAdd("c", Make);
        Assert.Equal(4, decodes);
        cache.GetOrAdd("b", Make);
        Assert.Equal(5, decodes);
        Assert.Equal(30, cache.SizeBytes);
        Assert.Equal(3, cache.Count);
        // An image larger than the whole bound is returned but not kept.
        cache.GetOrAdd("huge", _ => new PixelImage(31, 1, 1, new byte[31]));
        Assert.Equal(3, cache.Count);
    }
}
