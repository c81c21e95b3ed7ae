using DeepMetric.Data;
using DeepMetric.Onnx.Backbones;
using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using Microsoft.ML.OnnxRuntime;

namespace DeepMetric.Onnx.Tests;

/// <summary>The built-in backbone: its feature cache against ONNX Runtime, its preprocessing against hand-worked values.</summary>
public sealed class BackboneTests
{
    [Fact]
    public void Cached_features_at_224_equal_onnx_runtime_running_the_packages_preprocessing_and_resnet18()
    {
        string graph = ResNetFiles.ResNet18 ?? throw new InvalidOperationException("ResNet18.onnx was not found in the restored package folder.");
        string prep = ResNetFiles.Preprocess ?? throw new InvalidOperationException("ResNetPreprocess.onnx was not found.");
        const int n = 2, side = 224, per = 3 * side * side;
        var pixels = Tensor.Rand(new Prng(11), [n, 3, side, side], 0f, 1f).ToArray();
        var data = new ImageDataset(pixels, [0, 1], 3, side, side, ["a", "b"]);
        var backbone = Backbone.Open("resnet18-imagenet", side);
        Assert.Equal(512, backbone.FeatureDimension);
        var features = backbone.ExtractFeatures(data, batchSize: 2);
        Assert.Equal(n, features.Count);

        // The oracle: ONNX Runtime runs the package's two graphs on RGB 0–255, one image at a time (both fix batch 1).
        using var prepSession = new InferenceSession(prep);
        using var session = new InferenceSession(graph);
        for (int i = 0; i < n; i++)
        {
            var rgb255 = pixels[(i * per)..((i + 1) * per)].Select(v => v * 255f).ToArray();
            var (bgr, bgrDims) = Oracle.RunOrt(prepSession, rgb255, [1, 3, side, side], prepSession.InputMetadata.Keys.First());
            var (ort, dims) = Oracle.RunOrt(session, bgr, bgrDims, session.InputMetadata.Keys.First());
            Oracle.Compare(features.Features[(i * 512)..((i + 1) * 512)].ToArray(), [1, 512, 1, 1], ort, dims);
        }
    }

    [Fact]
    public void Features_at_64_px_are_finite_and_differ_between_images()
    {
        var backbone = Backbone.Open("resnet18-imagenet", 64);
        var pixels = Tensor.Rand(new Prng(2), [3, 1, 28, 28], 0f, 1f).ToArray();
        var features = backbone.ExtractFeatures(new ImageDataset(pixels, [0, 1, 2], 1, 28, 28, ["a", "b", "c"]));
        Assert.Equal(512, features.Dimension);
        Assert.All(features.Features.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.NotEqual(features.Features[..512].ToArray(), features.Features[512..1024].ToArray());
    }

    [Theory]
    [InlineData(112)]
    [InlineData(32)]
    [InlineData(100)]
    public void Input_sizes_that_are_not_multiples_of_32_from_64_are_refused_with_the_reason(int size)
    {
        var e = Assert.Throws<ArgumentException>(() => Backbone.Open("resnet18-imagenet", size));
        Assert.Contains("multiples of 32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_names_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Backbone.Open("resnet1000"));
        Assert.Contains("resnet18-imagenet", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Grey_images_are_upsampled_bilinearly_with_half_pixel_centres_and_repeated_to_three_channels()
    {
        // Hand-worked (PyTorch interpolate(mode="bilinear", align_corners=False) gives the same): [[0, 1], [2, 3]] → 4×4.
        float[,] expected =
        {
            { 0f, 0.25f, 0.75f, 1f },
            { 0.5f, 0.75f, 1.25f, 1.5f },
            { 1.5f, 1.75f, 2.25f, 2.5f },
            { 2f, 2.25f, 2.75f, 3f },
        };
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var y = BackbonePreprocess.ImageNet(4).Forward(Tensor.FromArray([0f, 1f, 2f, 3f], 1, 1, 2, 2));
        Assert.Equal([1, 3, 4, 4], y.Shape);
        for (int c = 0; c < 3; c++)
        {
            for (int r = 0; r < 4; r++)
            {
                for (int x = 0; x < 4; x++)
                {
                    Assert.Equal((expected[r, x] - mean[c]) / std[c], y[0, c, r, x], 1e-5f);
                }
            }
        }
    }

    [Fact]
    public void The_initial_head_is_the_centred_feature_normalised()
    {
        float[] center = [1f, 2f, 3f];
        var head = Backbone.Head(3, 3, center, seed: 4);
        var y = head.Forward(Tensor.FromArray([4f, 2f, 3f], 1, 3));   // centred: (3, 0, 0)
        Assert.Equal([1f, 0f, 0f], y.ToArray());
        var projection = Backbone.Head(3, 2, center, seed: 4);
        var z = projection.Forward(Tensor.FromArray([1f, 2f, 3f, 1f, 2f, 4f], 2, 3)).ToArray();
        // The centre maps to the origin (normalised to 0 or NaN-free), and rows of the projection are orthonormal: |P(0,0,1)| = 1.
        Assert.All(z[..2], v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1.0, (z[2] * (double)z[2]) + (z[3] * (double)z[3]), 1e-5);
    }
}
