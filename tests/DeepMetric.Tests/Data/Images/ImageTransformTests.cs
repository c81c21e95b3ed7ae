using DeepMetric.Data.Images;
using DeepMetric.Tensors.Random;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Data.Images;

public sealed class ImageTransformTests
{
    private static PixelImage RandomImage(int width, int height, int channels, ulong seed)
    {
        var rng = new Prng(seed);
        var pixels = new byte[width * height * channels];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)rng.NextInt(256);
        }
        return new PixelImage(width, height, channels, pixels);
    }

    // Reference resampling in double precision, straight from the documented definition, one output pixel at a time
    // over the full 2-D neighbourhood (no separable passes, no weight tables).
    private static double[] Reference(PixelImage src, SampleGrid g)
    {
        var result = new double[src.Channels * g.Width * g.Height];
        double sx = g.BoxWidth / g.Width, sy = g.BoxHeight / g.Height;
        double supX = Math.Max(sx, 1), supY = Math.Max(sy, 1);
        for (int c = 0; c < src.Channels; c++)
        {
            for (int y = 0; y < g.Height; y++)
            {
                for (int x = 0; x < g.Width; x++)
                {
                    int ox = g.Flip ? g.Width - 1 - x : x;
                    double cx = g.X + ((ox + 0.5) * sx), cy = g.Y + ((y + 0.5) * sy);
                    double value = 0;
                    if (cx >= 0 && cx <= src.Width && cy >= 0 && cy <= src.Height)
                    {
                        double sum = 0, wsum = 0;
                        for (int j = 0; j < src.Height; j++)
                        {
                            double wy = Math.Max(0, 1 - (Math.Abs(j + 0.5 - cy) / supY));
                            for (int i = 0; i < src.Width; i++)
                            {
                                double w = wy * Math.Max(0, 1 - (Math.Abs(i + 0.5 - cx) / supX));
                                sum += w * src[i, j, c];
                                wsum += w;
                            }
                        }
                        value = sum / wsum / 255;
                    }
                    result[(((c * g.Height) + y) * g.Width) + x] = value;
                }
            }
        }
        return result;
    }

    private static float[] Run(PixelImage src, SampleGrid g)
    {
        var dst = new float[src.Channels * g.Width * g.Height];
        BoxResampler.Resample(src, g, dst);
        return dst;
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}] expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void UnscaledGridCopiesExactly()
    {
        var src = RandomImage(7, 5, 3, 1);
        var out1 = Run(src, SampleGrid.Whole(7, 5));
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 5; y++)
            {
                for (int x = 0; x < 7; x++)
                {
                    Assert.Equal(src[x, y, c] / 255f, out1[(((c * 5) + y) * 7) + x], 1e-6f);
                }
            }
        }
    }

    [Fact]
    public void HandWorkedHalving()
    {
        // [0, 100, 200, 255] → 2 pixels. Scale 2, triangle half-width 2. Output 0 has its centre at 1.0: source centres
        // 0.5, 1.5, 2.5 get weights 0.75, 0.75, 0.25 → (0·0.75 + 100·0.75 + 200·0.25)/1.75; output 1 (centre 3.0):
        // weights 0.25, 0.75, 0.75 on 100, 200, 255.
        var src = new PixelImage(4, 1, 1, [0, 100, 200, 255]);
        var g = SampleGrid.Whole(4, 1);
        g.Resize(2, 1);
        var r = Run(src, g);
        Assert.Equal(125 / 1.75 / 255, r[0], 1e-6);
        Assert.Equal(((100 * 0.25) + (200 * 0.75) + (255 * 0.75)) / 1.75 / 255, r[1], 1e-6);
        // Doubling [0, 255]: centres at 0.25, 0.75, 1.25, 1.75 → clamped 0, then 0.25, 0.75 of the way, then 255.
        var two = new PixelImage(2, 1, 1, [0, 255]);
        var up = SampleGrid.Whole(2, 1);
        up.Resize(4, 1);
        Assert.Equal(new[] { 0f, 0.25f, 0.75f, 1f }, Run(two, up));
    }

    [Theory]
    [InlineData(5, 4, false)]
    [InlineData(20, 17, false)]
    [InlineData(13, 3, true)]
    [InlineData(1, 1, false)]
    public void ResizeMatchesTheDoubleReference(int w, int h, bool flip)
    {
        var src = RandomImage(13, 9, 3, 2);
        var g = SampleGrid.Whole(13, 9);
        g.Resize(w, h);
        g.Flip = flip;
        AssertClose(Reference(src, g), Run(src, g));
    }

    [Fact]
    public void CropsAndPaddingMatchTheDoubleReference()
    {
        var src = RandomImage(11, 8, 1, 3);
        var g = SampleGrid.Whole(11, 8);
        g.Resize(23, 17);
        g.Crop(3, 2, 9, 7);   // fractional box in source pixels
        AssertClose(Reference(src, g), Run(src, g));
        // A centre crop larger than the image pads with zeros: 6 of 4 puts one zero column on each side.
        var small = RandomImage(4, 4, 1, 4);
        var pad = SampleGrid.Whole(4, 4);
        new CenterCrop(6, 4).Apply(ref pad, new Prng(0));
        var padded = Run(small, pad);
        for (int y = 0; y < 4; y++)
        {
            Assert.Equal(0f, padded[y * 6]);
            Assert.Equal(0f, padded[(y * 6) + 5]);
            Assert.Equal(small[0, y, 0] / 255f, padded[(y * 6) + 1], 6);
        }
        AssertClose(Reference(small, pad), padded);
    }

    [Fact]
    public void ResizeThenCropEqualsTheCropOfTheResizedImage()
    {
        // One resampling of the cropped box must equal resizing the whole image and then cutting the crop out of it.
        var src = RandomImage(17, 12, 3, 5);
        var whole = SampleGrid.Whole(17, 12);
        new ResizeShorterSide(9).Apply(ref whole, new Prng(0));
        Assert.Equal((12, 9), (whole.Width, whole.Height));   // ⌊9·17/12⌋ = 12
        var full = Run(src, whole);
        var cropped = whole;
        new CenterCrop(6, 5).Apply(ref cropped, new Prng(0));
        var crop = Run(src, cropped);
        // Offsets: (12 − 6)/2 = 3 and (9 − 5)/2 = 2.
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 5; y++)
            {
                for (int x = 0; x < 6; x++)
                {
                    Assert.Equal(full[(((c * 9) + y + 2) * 12) + x + 3], crop[(((c * 5) + y) * 6) + x], 5);
                }
            }
        }
    }

    [Theory]
    [InlineData(640, 480, 64, 85, 64)]
    [InlineData(480, 640, 64, 64, 85)]
    [InlineData(100, 100, 7, 7, 7)]
    public void ResizeShorterSideSizes(int w, int h, int size, int ew, int eh)
    {
        var g = SampleGrid.Whole(w, h);
        new ResizeShorterSide(size).Apply(ref g, new Prng(0));
        Assert.Equal((ew, eh), (g.Width, g.Height));
    }

    [Theory]
    [InlineData(85, 64, 10)]   // 10.5 rounds half to even
    [InlineData(7, 4, 2)]      // 1.5 → 2
    [InlineData(8, 4, 2)]
    [InlineData(4, 6, -1)]     // padding ⌊2/2⌋ before
    [InlineData(4, 7, -1)]     // padding ⌊3/2⌋ before
    public void CenterCropOffsets(int size, int crop, int offset)
    {
        var g = SampleGrid.Whole(size, 1);
        new CenterCrop(crop, 1).Apply(ref g, new Prng(0));
        Assert.Equal(offset, g.X, 12);
        Assert.Equal(crop, g.Width);
    }

    [Fact]
    public void RandomResizedCropStaysInsideItsRanges()
    {
        var crop = new RandomResizedCrop(32, 32, 0.25, 1.0);
        var rng = new Prng(7);
        var areas = new List<double>();
        for (int i = 0; i < 2000; i++)
        {
            var (left, top, w, h) = crop.Choose(200, 150, rng);
            Assert.InRange(left, 0, 200 - w);
            Assert.InRange(top, 0, 150 - h);
            double share = (double)w * h / (200 * 150);
            areas.Add(share);
            // Rounding each side to whole pixels moves the share and ratio a little.
            Assert.InRange(share, 0.25 * 0.97, 1.0);
            Assert.InRange((double)w / h, 0.75 * 0.97, (4.0 / 3) * 1.03);
        }
        // The share is uniform on [0.25, 1] when no try is rejected; rejections only cut the top.
        Assert.InRange(areas.Average(), 0.5, 0.66);
        // An extreme strip falls back to the centre crop of the clamped ratio: 1000×10 → 13×10 (10·4/3 rounded).
        var fallback = new RandomResizedCrop(8, 8, 0.9, 1.0).Choose(1000, 10, new Prng(1));
        Assert.Equal(((1000 - 13) / 2, 0, 13, 10), fallback);
    }

    [Fact]
    public void FlipProbabilityAndMirror()
    {
        var src = RandomImage(5, 2, 1, 8);
        var never = SampleGrid.Whole(5, 2);
        var always = SampleGrid.Whole(5, 2);
        var rng = new Prng(3);
        for (int i = 0; i < 20; i++)
        {
            new RandomHorizontalFlip(0).Apply(ref never, rng);
        }
        new RandomHorizontalFlip(1).Apply(ref always, rng);
        Assert.False(never.Flip);
        var plain = Run(src, never);
        var mirrored = Run(src, always);
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 5; x++)
            {
                Assert.Equal(plain[(y * 5) + x], mirrored[(y * 5) + 4 - x]);
            }
        }
        // A crop of the mirrored image takes the mirrored place in the source: its left column is the source's
        // column width − 1 − left.
        var cropped = always;
        cropped.Crop(1, 0, 2, 2);
        var part = Run(src, cropped);
        Assert.Equal(src[3, 0, 0] / 255f, part[0], 6);
        Assert.Equal(src[2, 0, 0] / 255f, part[1], 6);
    }

    [Fact]
    public void ColorJitterMatchesTheDoubleReference()
    {
        var jitter = new ColorJitter(0.5, 0.6, 0.7);
        var image = new float[3 * 4 * 5];
        var rng = new Prng(11);
        for (int i = 0; i < image.Length; i++)
        {
            image[i] = rng.NextFloat();
        }
        // The factors are the first three draws, mapped onto [1 − s, 1 + s].
        var draws = new Prng(5);
        double b = 0.5 + draws.NextDouble(), c = 0.4 + (1.2 * draws.NextDouble()), s = 0.3 + (1.4 * draws.NextDouble());
        int plane = 20;
        var expected = image.Select(v => Math.Clamp(v * b, 0, 1)).ToArray();
        double mean = 0;
        for (int p = 0; p < plane; p++)
        {
            mean += (0.299 * expected[p]) + (0.587 * expected[plane + p]) + (0.114 * expected[(2 * plane) + p]);
        }
        mean /= plane;
        expected = expected.Select(v => Math.Clamp((c * v) + ((1 - c) * mean), 0, 1)).ToArray();
        var saturated = (double[])expected.Clone();
        for (int p = 0; p < plane; p++)
        {
            double grey = (0.299 * expected[p]) + (0.587 * expected[plane + p]) + (0.114 * expected[(2 * plane) + p]);
            for (int ch = 0; ch < 3; ch++)
            {
                saturated[(ch * plane) + p] = Math.Clamp((s * expected[(ch * plane) + p]) + ((1 - s) * grey), 0, 1);
            }
        }
        jitter.Apply(image, 3, 4, 5, new Prng(5));
        AssertClose(saturated, image, 1e-5);
    }

    [Fact]
    public void NormalizeImageNet()
    {
        float[] image = [0.485f, 1f, 0.456f, 0f, 0.406f, 0.5f];
        Normalize.ImageNet.Apply(image, 3, 1, 2, new Prng(0));
        AssertClose([0, (1 - 0.485) / 0.229, 0, -0.456 / 0.224, 0, (0.5 - 0.406) / 0.225], image);
        Assert.Throws<ArgumentException>(() => Normalize.ImageNet.Apply(new float[2], 2, 1, 1, new Prng(0)));
        Assert.Throws<ArgumentException>(() => new Normalize([0.5f], [0f]));
    }

    [Fact]
    public void PresetsHaveFixedSizesAndEvaluationIsDeterministic()
    {
        var options = new ImageTransformOptions { Width = 24, Height = 16, Jitter = 0.3, Normalize = Normalize.ImageNet };
        var train = ImageTransform.ForTraining(options);
        var eval = ImageTransform.ForEvaluation(options);
        Assert.Equal((24, 16), train.FixedOutputSize());
        Assert.Equal((24, 16), eval.FixedOutputSize());
        Assert.Null(new ImageTransform([new ResizeShorterSide(10)]).FixedOutputSize());
        var src = RandomImage(50, 37, 3, 9);
        var a = new float[3 * 24 * 16];
        var b = new float[a.Length];
        eval.Apply(src, a, new Prng(1));
        eval.Apply(src, b, new Prng(2));
        Assert.Equal(a, b);
        train.Apply(src, a, new Prng(1));
        train.Apply(src, b, new Prng(1));
        Assert.Equal(a, b);
        train.Apply(src, b, new Prng(2));
        Assert.NotEqual(a, b);
    }
}
