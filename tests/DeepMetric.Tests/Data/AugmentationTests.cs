using DeepMetric.Data;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Data;

public sealed class AugmentationTests
{
    private static float[] Image3x4() => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    [Fact]
    public void CropMovesPixelsExactly()
    {
        var a = Image3x4();
        RandomCropAugmentation.Crop(a, 1, 3, 4, dy: 1, dx: -1);
        Assert.Equal([0f, 5, 6, 7, 0, 9, 10, 11, 0, 0, 0, 0], a);

        var b = Image3x4();
        RandomCropAugmentation.Crop(b, 1, 3, 4, dy: -2, dx: 2, fill: -1f);
        Assert.Equal([-1f, -1, -1, -1, -1, -1, -1, -1, 3, 4, -1, -1], b);

        var c = Image3x4();
        RandomCropAugmentation.Crop(c, 1, 3, 4, dy: 0, dx: 5);
        Assert.All(c, v => Assert.Equal(0f, v));

        var same = Image3x4();
        RandomCropAugmentation.Crop(same, 1, 3, 4, 0, 0);
        Assert.Equal(Image3x4(), same);
    }

    [Fact]
    public void CropShiftsEveryChannelTheSame()
    {
        float[] two = [.. Image3x4(), .. Image3x4().Select(v => v * 10)];
        RandomCropAugmentation.Crop(two, 2, 3, 4, dy: 1, dx: 1);
        Assert.Equal([6f, 7, 8, 0, 10, 11, 12, 0, 0, 0, 0, 0, 60, 70, 80, 0, 100, 110, 120, 0, 0, 0, 0, 0], two);
    }

    [Fact]
    public void RandomCropDrawsRowThenColumnOffsets()
    {
        var crop = new RandomCropAugmentation(padding: 2);
        for (ulong seed = 0; seed < 20; seed++)
        {
            var img = Image3x4();
            crop.Apply(img, 1, 3, 4, new Prng(seed));
            var reference = new Prng(seed);
            int dy = reference.NextInt(5) - 2;
            int dx = reference.NextInt(5) - 2;
            var expected = new float[12];
            for (int y = 0; y < 3; y++)
            {
                for (int x = 0; x < 4; x++)
                {
                    int sy = y + dy, sx = x + dx;
                    expected[(y * 4) + x] = sy is >= 0 and < 3 && sx is >= 0 and < 4 ? Image3x4()[(sy * 4) + sx] : 0f;
                }
            }
            Assert.Equal(expected, img);
        }
    }

    [Fact]
    public void FlipMirrorsEachRow()
    {
        var img = Image3x4();
        new HorizontalFlipAugmentation(1.0).Apply(img, 1, 3, 4, new Prng(1));
        Assert.Equal([4f, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9], img);
        var kept = Image3x4();
        new HorizontalFlipAugmentation(0.0).Apply(kept, 1, 3, 4, new Prng(1));
        Assert.Equal(Image3x4(), kept);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HorizontalFlipAugmentation(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HorizontalFlipAugmentation(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCropAugmentation(-1));
    }

    private static Tensor Batch(int n)
    {
        var data = new float[n * 12];
        for (int i = 0; i < n; i++)
        {
            Image3x4().CopyTo(data, i * 12);
        }
        return Tensor.Wrap(data, n, 1, 3, 4);
    }

    [Fact]
    public void AugmenterIsDeterministicPerSeedAndStep()
    {
        var aug = Augmenter.CropAndFlip(padding: 1, flip: true, seed: 42);
        var a = Batch(16);
        var b = Batch(16);
        var c = Batch(16);
        aug.Apply(a, step: 7);
        Augmenter.CropAndFlip(1, true, 42).Apply(b, step: 7);
        aug.Apply(c, step: 8);
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(a.ToArray(), c.ToArray());
        // Identical inputs get different random transforms within a batch.
        var images = a.ToArray().Chunk(12).Select(x => string.Join(',', x)).Distinct().Count();
        Assert.True(images > 1);
        // Every output is a shift of at most 1 pixel of the input, possibly mirrored.
        foreach (var img in a.ToArray().Chunk(12))
        {
            bool found = false;
            for (int dy = -1; dy <= 1 && !found; dy++)
            {
                for (int dx = -1; dx <= 1 && !found; dx++)
                {
                    var shifted = Image3x4();
                    RandomCropAugmentation.Crop(shifted, 1, 3, 4, dy, dx);
                    var mirrored = (float[])shifted.Clone();
                    HorizontalFlipAugmentation.Flip(mirrored, 3, 4);
                    found = shifted.SequenceEqual(img) || mirrored.SequenceEqual(img);
                }
            }
            Assert.True(found);
        }
    }

    [Fact]
    public void DisabledOrEmptyLeavesTheBatchAlone()
    {
        var aug = Augmenter.CropAndFlip(seed: 1);
        aug.Enabled = false;
        var t = Batch(3);
        aug.Apply(t, 0);
        Assert.Equal(Batch(3).ToArray(), t.ToArray());
        var none = Augmenter.CropAndFlip(padding: 0, flip: false);
        Assert.Empty(none.Steps);
        none.Apply(t, 0);
        Assert.Equal(Batch(3).ToArray(), t.ToArray());
    }

    [Fact]
    public void BadShapes()
    {
        var aug = Augmenter.CropAndFlip();
        Assert.Throws<ArgumentException>(() => aug.Apply(Tensor.Wrap(new float[12], 3, 4), 0));
        Assert.Throws<ArgumentException>(() => aug.Apply(new float[11], 1, 1, 3, 4, 0));
        Assert.Throws<ArgumentException>(() => RandomCropAugmentation.Crop(new float[11], 1, 3, 4, 1, 1));
        Assert.Throws<ArgumentException>(() => new Augmenter([null!]));
    }
}
