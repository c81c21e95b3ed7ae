using DeepMetric.Data;
using DeepMetric.Onnx.Backbones;
using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using static DeepMetric.Onnx.Tests.TestUtil.GraphBuilder;

namespace DeepMetric.Onnx.Tests;

/// <summary>
/// Feature read-outs of a backbone (two stages, GeM, flip averaging) against feature maps from ONNX Runtime pooled by a
/// double-precision loop, and the augmented-view feature cache against the trunk run on the views.
/// </summary>
public sealed class BackboneFeaturesTests
{
    // x [N, 2, 8, 8] → strided conv → Relu (stage A, [N, 4, 4, 4]) → strided conv → Relu (stage B, [N, 6, 2, 2]) → pool.
    // The same seeds give the same weights in every copy, so ORT can be asked for either stage's map.
    private static GraphBuilder TwoStages(int opset, string output)
    {
        var g = new GraphBuilder(opset, -1, 2, 8, 8);
        var a = g.Node("Relu", [g.Node("Conv", ["x", g.Random(1, 4, 2, 3, 3), g.Random(2, 4)], A("strides", 2L, 2L), A("pads", 1L, 1L, 1L, 1L))]);
        var b = g.Node("Relu", [g.Node("Conv", [a, g.Random(3, 6, 4, 3, 3), g.Random(4, 6)], A("strides", 2L, 2L), A("pads", 1L, 1L, 1L, 1L))]);
        var pooled = g.Node("GlobalAveragePool", [b]);
        return g.Output(output switch { "a" => a, "b" => b, _ => pooled });
    }

    private static double[] Pool(float[] map, int n, int c, int hw, int item, bool gem)
    {
        var v = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int p = 0; p < hw; p++)
            {
                double x = map[(((item * c) + ch) * hw) + p];
                sum += gem ? Math.Pow(Math.Max(x, 1e-6), 3) : x;
            }
            v[ch] = gem ? Math.Pow(sum / hw, 1.0 / 3) : sum / hw;
        }
        _ = n;
        return v;
    }

    private static double[] L2(double[] v)
    {
        double norm = Math.Sqrt(v.Sum(t => t * t));
        return [.. v.Select(t => t / norm)];
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(13, false)]
    [InlineData(18, true)]
    public void Two_stage_features_are_the_pooled_normalised_maps_concatenated(int opset, bool gem)
    {
        const int n = 3;
        var x = Tensor.Rand(new Prng(5), [n, 2, 8, 8], -1f, 1f).ToArray();
        var (mapA, _) = Oracle.RunOrt(TwoStages(opset, "a").Bytes(), x, [n, 2, 8, 8]);
        var (mapB, _) = Oracle.RunOrt(TwoStages(opset, "b").Bytes(), x, [n, 2, 8, 8]);

        var model = TwoStages(opset, "pooled").Model();
        BackboneGraphRewriter.Rewrite(model, new BackboneFeatures(Stages: 2, Gem: gem), globalFinalPool: false, "two-stages.onnx");
        Tensor ours;
        using (Tensor.NoGrad())
        {
            ours = OnnxGraphLoader.Compile(model, "two-stages.onnx").Forward(Tensor.FromArray(x, n, 2, 8, 8));
        }
        Assert.Equal([n, 10, 1, 1], ours.Shape);
        for (int i = 0; i < n; i++)
        {
            double[] expected = [.. L2(Pool(mapA, n, 4, 16, i, gem)), .. L2(Pool(mapB, n, 6, 4, i, gem))];
            for (int d = 0; d < 10; d++)
            {
                Assert.Equal(expected[d], ours.ReadOnlySpan[(i * 10) + d], 1e-5);
            }
        }
    }

    [Fact]
    public void Gem_of_the_last_stage_alone_is_not_normalised()
    {
        const int n = 2;
        var x = Tensor.Rand(new Prng(6), [n, 2, 8, 8], -1f, 1f).ToArray();
        var (mapB, _) = Oracle.RunOrt(TwoStages(17, "b").Bytes(), x, [n, 2, 8, 8]);
        var model = TwoStages(17, "pooled").Model();
        BackboneGraphRewriter.Rewrite(model, new BackboneFeatures(Gem: true), globalFinalPool: false, "gem.onnx");
        using var _ = Tensor.NoGrad();
        var ours = OnnxGraphLoader.Compile(model, "gem.onnx").Forward(Tensor.FromArray(x, n, 2, 8, 8));
        Assert.Equal([n, 6, 1, 1], ours.Shape);
        for (int i = 0; i < n; i++)
        {
            var expected = Pool(mapB, n, 6, 4, i, gem: true);
            for (int d = 0; d < 6; d++)
            {
                Assert.Equal(expected[d], ours.ReadOnlySpan[(i * 6) + d], 1e-5);
            }
        }
    }

    [Fact]
    public void A_graph_without_average_pooling_is_refused_for_non_plain_features()
    {
        var g = new GraphBuilder(13, -1, 2, 4, 4);
        g.Output(g.Node("Relu", ["x"]));
        var model = g.Model();
        var e = Assert.Throws<OnnxImportException>(() => BackboneGraphRewriter.Rewrite(model, new BackboneFeatures(Stages: 2), globalFinalPool: false, "nopool.onnx"));
        Assert.Contains("nopool.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("AveragePool", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stages=2,pool=gem,flip")]
    [InlineData("flip,stages=1")]
    [InlineData("pool=avg")]
    public void Feature_specs_round_trip_through_text(string text)
    {
        var f = BackboneFeatures.Parse(text);
        Assert.Equal(f, BackboneFeatures.Parse(f.ToString()));
    }

    [Theory]
    [InlineData("stages=3")]
    [InlineData("pool=max")]
    [InlineData("mirror")]
    public void Unknown_feature_specs_are_refused_naming_the_part(string text)
    {
        var e = Assert.Throws<FormatException>(() => BackboneFeatures.Parse(text));
        Assert.Contains($"'{text}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resnet18_two_stage_gem_features_have_768_values_with_unit_halves()
    {
        var backbone = Backbone.Open("resnet18-imagenet", 64, BackboneFeatures.Parse("stages=2,pool=gem"));
        Assert.Equal(768, backbone.FeatureDimension);
        var f = backbone.ExtractFeatures(new ImageDataset(Tensor.Rand(new Prng(4), [2, 1, 28, 28], 0f, 1f).ToArray(), [0, 1], 1, 28, 28, ["a", "b"]));
        for (int i = 0; i < 2; i++)
        {
            var row = f.Features.Slice(i * 768, 768);
            Assert.Equal(1.0, Math.Sqrt(row[..256].ToArray().Sum(v => (double)v * v)), 1e-4);
            Assert.Equal(1.0, Math.Sqrt(row[256..].ToArray().Sum(v => (double)v * v)), 1e-4);
        }
    }

    [Fact]
    public void Flip_averaged_features_are_the_mean_of_the_image_and_its_mirror()
    {
        const int n = 2, side = 28;
        var pixels = Tensor.Rand(new Prng(8), [n, 1, side, side], 0f, 1f).ToArray();
        var mirrored = new float[pixels.Length];
        for (int r = 0; r < n * side; r++)
        {
            for (int c = 0; c < side; c++)
            {
                mirrored[(r * side) + c] = pixels[(r * side) + side - 1 - c];
            }
        }
        string[] names = ["a", "b"];
        var plain = Backbone.Open("resnet18-imagenet", 64);
        var a = plain.ExtractFeatures(new ImageDataset(pixels, [0, 1], 1, side, side, names)).Features.ToArray();
        var b = plain.ExtractFeatures(new ImageDataset(mirrored, [0, 1], 1, side, side, names)).Features.ToArray();
        var flip = Backbone.Open("resnet18-imagenet", 64, new BackboneFeatures(Flip: true));
        var both = flip.ExtractFeatures(new ImageDataset(pixels, [0, 1], 1, side, side, names)).Features.ToArray();
        double scale = a.Max(Math.Abs);
        for (int i = 0; i < both.Length; i++)
        {
            Assert.True(Math.Abs(both[i] - (0.5 * (a[i] + (double)b[i]))) <= 1e-5 * scale, $"feature {i}: {both[i]} vs ({a[i]} + {b[i]}) / 2");
        }
        Assert.NotEqual(a, both);
    }

    [Fact]
    public void Augmented_views_are_the_trunk_on_the_augmented_images_and_evaluation_reads_the_plain_ones()
    {
        const int n = 5, views = 3;
        var images = new ImageDataset(Tensor.Rand(new Prng(12), [n, 1, 28, 28], 0f, 1f).ToArray(), [0, 1, 0, 1, 2], 1, 28, 28, ["a", "b", "c"])
            .WithAugmenter(Augmenter.CropAndFlip(padding: 2, flip: true, seed: 7));
        var backbone = Backbone.Open("resnet18-imagenet", 64);
        var cache = AugmentedFeatureDataset.Extract(backbone, images, views, seed: 3);
        Assert.Equal(views, cache.Views);
        Assert.Equal(images.Labels.ToArray(), cache.Labels.ToArray());

        int[] all = [0, 1, 2, 3, 4];
        float[] Trunk(Tensor x)
        {
            using var _ = Tensor.NoGrad();
            return backbone.Trunk.Forward(x).ToArray();
        }
        var plain = Trunk(images.Batch(all));
        Assert.Equal(plain, cache.Batch(all).ToArray(), new ToleranceComparer(1e-6f));
        var viewFeatures = Enumerable.Range(0, views).Select(v => Trunk(images.Batch(all, BatchRequest.Training(-((long)(v + 1) << 32))))).ToArray();
        Assert.NotEqual(plain, viewFeatures[0], new ToleranceComparer(1e-6f));

        int dim = backbone.FeatureDimension;
        var used = new HashSet<int>();
        int[] picked = [4, 0, 2];
        for (long step = 0; step < 12; step++)
        {
            var batch = cache.Batch(picked, BatchRequest.Training(step)).ToArray();
            for (int j = 0; j < picked.Length; j++)
            {
                int v = cache.ViewFor(step, j);
                used.Add(v);
                Assert.Equal(viewFeatures[v].AsSpan(picked[j] * dim, dim).ToArray(), batch.AsSpan(j * dim, dim).ToArray(), new ToleranceComparer(1e-6f));
            }
            Assert.Equal(batch, cache.Batch(picked, BatchRequest.Training(step)).ToArray());   // the same step reads the same views
        }
        Assert.Equal(views, used.Count);

        var subset = cache.Subset([3, 1]);
        Assert.Equal(plain.AsSpan(3 * dim, dim).ToArray(), subset.Batch([0]).ToArray(), new ToleranceComparer(1e-6f));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1f, Math.Max(Math.Abs(x), Math.Abs(y)));

        public int GetHashCode(float obj) => 0;
    }
}
