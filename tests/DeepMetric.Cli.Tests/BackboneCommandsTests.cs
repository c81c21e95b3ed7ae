using DeepMetric.Cli.Commands;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;
using DeepMetric.Cli.Tests.TestUtil;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary><c>deepmetric backbones</c> and <c>train --backbone</c> on a tiny image folder at 64 px.</summary>
public sealed class BackboneCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-cli-backbone-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private string WriteImages() => BarImageFolder.Write(P("images"));

    [Fact]
    public void Backbones_lists_resnet18_with_its_convention_sizes_and_licence()
    {
        var (code, output, err) = Run("backbones");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        foreach (var expected in new[] { "resnet18-imagenet", "BGR", "0-255", "mean image", "multiples of 32", "512-d", "MIT", "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0" })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("not found", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_with_the_backbone_writes_a_model_that_embed_and_eval_use()
    {
        string root = WriteImages(), run = P("run");
        string[] data = ["--data", "image-folder", "--data-dir", root, "--color", "gray", "--image-size", "28"];
        var (code, output, err) = Run(["train", .. data, "--backbone", "resnet18-imagenet", "--backbone-input-size", "64", "--validation-fraction", "0",
            "--epochs", "1", "--iterations-per-epoch", "2", "--batch-size", "4", "--m-per-class", "2", "--embedding-size", "16", "--run-dir", run, "--no-report"]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("features of", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(run, "model.safetensors")));

        // The saved model is the backbone with its head: it takes the images themselves.
        var loaded = ModelLoader.Load(Path.Combine(run, "model.safetensors"));
        Assert.Equal("backbone", loaded.Kind);
        Assert.Equal(16, loaded.EmbeddingSize);
        var x = Tensor.Rand(new Prng(9), [3, 1, 28, 28], 0f, 1f);
        var e = loaded.Model.Embed(x);
        Assert.Equal([3, 16], e.Shape);
        for (int i = 0; i < 3; i++)
        {
            double norm = 0;
            for (int d = 0; d < 16; d++)
            {
                norm += e[i, d] * (double)e[i, d];
            }
            Assert.Equal(1.0, norm, 1e-4);
        }

        NpyTensorFile.Write(P("x.npy"), x.ReadOnlySpan, [3, 1, 28, 28]);
        var embedded = Run("embed", "--weights", run, "--data", P("x.npy"), "--output", P("y.npy"));
        Assert.Equal("", embedded.Err);
        Assert.Equal(0, embedded.Code);
        var (y, shape) = NpyTensorFile.Read(P("y.npy"));
        Assert.Equal([3, 16], shape);
        Assert.Equal(e.ToArray(), y);

        var evaluated = Run(["eval", "--weights", run, .. data]);
        Assert.Equal("", evaluated.Err);
        Assert.Equal(0, evaluated.Code);
        Assert.Contains("MAP@R", evaluated.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_onnx_backbone_file_fails_in_one_line_and_writes_nothing()
    {
        string root = WriteImages(), run = P("bad-run");
        File.WriteAllText(P("not.onnx"), "this is not a protobuf message, certainly not an ONNX model");
        var (code, _, err) = Run("train", "--data", "image-folder", "--data-dir", root, "--backbone", P("not.onnx"), "--run-dir", run);
        Assert.InRange(code, 1, 2);
        AssertOneLineError(err, "--backbone", "not.onnx");
        Assert.False(Directory.Exists(run));
    }

    [Theory]
    [InlineData("112")]
    [InlineData("32")]
    public void An_input_size_resnet18_cannot_take_fails_in_one_line_and_writes_nothing(string size)
    {
        string root = WriteImages(), run = P("size-run");
        var (code, _, err) = Run("train", "--data", "image-folder", "--data-dir", root, "--backbone", "resnet18-imagenet", "--backbone-input-size", size, "--run-dir", run);
        Assert.Equal(2, code);
        AssertOneLineError(err, "--backbone resnet18-imagenet", "multiples of 32", size);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void Backbone_options_without_a_backbone_are_refused()
    {
        var (code, _, err) = Run("train", "--data-dir", Subset, "--freeze-backbone");
        Assert.Equal(2, code);
        AssertOneLineError(err, "--backbone");
    }
}
