using DeepMetric.Cli.Commands;
using DeepMetric.Onnx;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

public sealed class OnnxCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-cli-onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    // A trained-looking CNN saved as a training run would save it.
    private (EmbeddingModel Model, string Weights) SavedCnn()
    {
        var model = Models.Cnn(8, seed: 3);
        var path = P("model.safetensors");
        model.Save(path, ModelLoader.Metadata(ModelLoader.Cnn, 8, 1, 28, 28));
        return (model, path);
    }

    private string Inputs(string name, params int[] shape)
    {
        var x = Tensor.Rand(new Prng(5), shape, 0f, 1f);
        NpyTensorFile.Write(P(name), x.ReadOnlySpan, shape);
        return P(name);
    }

    [Fact]
    public void Export_then_embed_the_onnx_backbone_gives_the_trained_models_embeddings()
    {
        var (model, weights) = SavedCnn();
        var (code, output, err) = Run("export", "--weights", weights, "--output", P("m.onnx"));
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("opset 17", output, StringComparison.Ordinal);
        var imported = OnnxModule.FromFile(P("m.onnx"));
        Assert.Equal("8", imported.Metadata["deepmetric.embedding_size"]);
        Assert.Equal("cosine", imported.Metadata["deepmetric.distance"]);
        Assert.Contains("255", imported.Metadata["deepmetric.input_preprocessing"], StringComparison.Ordinal);

        var x = Inputs("x.npy", 5, 1, 28, 28);
        Assert.Equal(0, Run("embed", "--backbone", P("m.onnx"), "--data", x, "--output", P("a.npy")).Code);
        var weightsRun = Run("embed", "--weights", weights, "--data", x, "--output", P("b.npy"));
        Assert.Equal("", weightsRun.Err);
        var (a, aShape) = NpyTensorFile.Read(P("a.npy"));
        var (b, bShape) = NpyTensorFile.Read(P("b.npy"));
        Assert.Equal([5, 8], aShape);
        Assert.Equal([5, 8], bShape);
        var expected = model.Embed(Tensor.FromArray(NpyTensorFile.Read(x).Values, 5, 1, 28, 28)).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], b[i], 1e-6f);
            Assert.Equal(expected[i], a[i], 1e-4f);
        }
    }

    [Fact]
    public void Export_does_not_replace_an_existing_file_without_force()
    {
        var (_, weights) = SavedCnn();
        File.WriteAllText(P("m.onnx"), "mine");
        var (code, _, err) = Run("export", "--weights", weights, "--output", P("m.onnx"));
        Assert.Equal(2, code);
        AssertOneLineError(err, "already exists", "--force");
        Assert.Equal("mine", File.ReadAllText(P("m.onnx")));
        Assert.Equal(0, Run("export", "--weights", weights, "--output", P("m.onnx"), "--force").Code);
    }

    [Fact]
    public void A_truncated_onnx_file_fails_in_one_line_and_writes_nothing()
    {
        var (_, weights) = SavedCnn();
        Assert.Equal(0, Run("export", "--weights", weights, "--output", P("m.onnx")).Code);
        var bytes = File.ReadAllBytes(P("m.onnx"));
        File.WriteAllBytes(P("cut.onnx"), bytes[..(bytes.Length / 3)]);
        var x = Inputs("x.npy", 2, 1, 28, 28);
        var (code, _, err) = Run("embed", "--backbone", P("cut.onnx"), "--data", x, "--output", P("y.npy"));
        Assert.Equal(1, code);
        AssertOneLineError(err, "cut.onnx");
        Assert.False(File.Exists(P("y.npy")));
        File.WriteAllText(P("text.onnx"), "not a model");
        Assert.Equal(1, Run("embed", "--backbone", P("text.onnx"), "--data", x, "--output", P("y.npy")).Code);
        Assert.False(File.Exists(P("y.npy")));
    }

    [Fact]
    public void Inputs_of_the_wrong_shape_fail_in_one_line_and_write_nothing()
    {
        var (_, weights) = SavedCnn();
        Assert.Equal(0, Run("export", "--weights", weights, "--output", P("m.onnx")).Code);
        var x = Inputs("x3.npy", 2, 3, 28, 28);
        var (code, _, err) = Run("embed", "--backbone", P("m.onnx"), "--data", x, "--output", P("y.npy"));
        Assert.Equal(1, code);
        AssertOneLineError(err, "x3.npy", "(2, 3, 28, 28)");
        var (code2, _, err2) = Run("embed", "--weights", weights, "--data", x, "--output", P("y.npy"));
        Assert.Equal(1, code2);
        AssertOneLineError(err2, "[N, 1, 28, 28]");
        Assert.False(File.Exists(P("y.npy")));
        File.WriteAllText(P("bad.npy"), "nope");
        Assert.Equal(1, Run("embed", "--weights", weights, "--data", P("bad.npy"), "--output", P("y.npy")).Code);
        var (code3, _, err3) = Run("embed", "--data", x, "--output", P("y.npy"));
        Assert.Equal(2, code3);
        AssertOneLineError(err3, "--backbone", "--weights");
        Assert.False(File.Exists(P("y.npy")));
    }
}
