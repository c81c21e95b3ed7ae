using DeepMetric.Tensors;
using DeepMetric.Tests.Data;
using DeepMetric.Training;
namespace DeepMetric.Tests.Training;

public sealed class ModelLoaderTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("deepmetric-loader-").FullName;

    [Fact]
    public void ReadsMetadataConfigOrShapes()
    {
        var dir = TempDir();
        try
        {
            var model = Models.Mlp(embeddingSize: 8, seed: 5);
            var path = Path.Combine(dir, ModelLoader.WeightsFileName);

            // No metadata and no config.json: the kind and size come from the tensor shapes.
            model.Save(path);
            var loaded = ModelLoader.Load(path);
            Assert.Equal(("mlp", 8), (loaded.Kind, loaded.EmbeddingSize));
            Assert.Equal(model.StateDict()["embedder.0.weight"].ToArray(), loaded.Model.StateDict()["embedder.0.weight"].ToArray());

            // A run directory works as well as the file, and config.json is read.
            File.WriteAllText(Path.Combine(dir, "config.json"), """{"model":"mlp","embedding_size":8}""");
            Assert.Equal(8, ModelLoader.Load(dir).EmbeddingSize);

            var cnn = Models.Cnn(embeddingSize: 4, seed: 1);
            var cnnPath = Path.Combine(dir, "cnn.safetensors");
            cnn.Save(cnnPath, new Dictionary<string, string> { ["model"] = "cnn", ["embedding_size"] = "4" });
            Assert.Equal(("cnn", 4), (ModelLoader.Load(cnnPath).Kind, ModelLoader.Load(cnnPath).EmbeddingSize));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "m.safetensors");
            Assert.Throws<FileNotFoundException>(() => ModelLoader.Load(path));
            Models.Mlp(embeddingSize: 8).Save(path, new Dictionary<string, string> { ["model"] = "mlp" });
            Assert.Contains("do not fit", Assert.Throws<InvalidDataException>(() => ModelLoader.Load(path, "cnn")).Message, StringComparison.Ordinal);
            Assert.Contains("do not fit", Assert.Throws<InvalidDataException>(() => ModelLoader.Load(path, embeddingSize: 3)).Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>("kind", () => ModelLoader.Load(path, "vgg"));
            Assert.Throws<ArgumentOutOfRangeException>("embeddingSize", () => ModelLoader.Load(path, embeddingSize: 0));
            File.WriteAllText(Path.Combine(dir, "config.json"), "{not json");
            Assert.Throws<InvalidDataException>(() => ModelLoader.Load(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void InputShapeComesFromMetadataConfigOrShapes()
    {
        var dir = TempDir();
        try
        {
            // Metadata written by train: a 1×1×8 feature MLP.
            var mlp = ModelLoader.Create(ModelLoader.Mlp, 4, channels: 1, height: 1, width: 8, seed: 2);
            var mlpPath = Path.Combine(dir, "mlp.safetensors");
            mlp.Save(mlpPath, ModelLoader.Metadata(ModelLoader.Mlp, 4, 1, 1, 8));
            var loaded = ModelLoader.Load(mlpPath);
            Assert.Equal((1, 1, 8, 8), (loaded.InputChannels, loaded.InputHeight, loaded.InputWidth, loaded.InputSize));

            // No metadata: the first layer's shape gives the input size (and the hidden width).
            var narrow = Models.Mlp(embeddingSize: 4, inputSize: 8, hidden: 16);
            var narrowPath = Path.Combine(dir, "narrow.safetensors");
            narrow.Save(narrowPath);
            loaded = ModelLoader.Load(narrowPath);
            Assert.Equal((1, 1, 8), (loaded.InputChannels, loaded.InputHeight, loaded.InputWidth));
            var x = Tensors.Tensor.FromArray([1f, 2, 3, 4, 5, 6, 7, 8], 1, 1, 1, 8);
            Assert.Equal(narrow.Embed(x).ToArray(), loaded.Model.Embed(x).ToArray());

            // A colour CNN: from metadata, and without it from the convolution and dense shapes (square input).
            var cnn = ModelLoader.Create(ModelLoader.Cnn, 4, channels: 3, height: 16, width: 16, seed: 1);
            var cnnPath = Path.Combine(dir, "cnn.safetensors");
            cnn.Save(cnnPath, ModelLoader.Metadata(ModelLoader.Cnn, 4, 3, 16, 16));
            Assert.Equal((3, 16, 16), Shape(ModelLoader.Load(cnnPath)));
            var bare = Path.Combine(dir, "bare.safetensors");
            cnn.Save(bare);
            Assert.Equal((3, 16, 16), Shape(ModelLoader.Load(bare)));

            // config.json beside the weights (no metadata) gives a non-square shape.
            var sub = Directory.CreateDirectory(Path.Combine(dir, "run")).FullName;
            var wide = ModelLoader.Create(ModelLoader.Cnn, 4, channels: 1, height: 8, width: 12);
            wide.Save(Path.Combine(sub, ModelLoader.WeightsFileName));
            File.WriteAllText(Path.Combine(sub, "config.json"), """{"model":"cnn","embedding_size":4,"input_channels":1,"input_height":8,"input_width":12}""");
            Assert.Equal((1, 8, 12), Shape(ModelLoader.Load(sub)));

            // Old Fashion-MNIST runs keep 1×28×28.
            var old = Path.Combine(dir, "old.safetensors");
            Models.Mlp(embeddingSize: 4).Save(old);
            Assert.Equal((1, 28, 28), Shape(ModelLoader.Load(old)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void CreateRejectsBadShapes()
    {
        Assert.Throws<ArgumentException>("kind", () => ModelLoader.Create(ModelLoader.Cnn, 4, channels: 1, height: 1, width: 8));
        Assert.Throws<ArgumentException>("kind", () => ModelLoader.Create("vgg", 4));
        Assert.Throws<ArgumentOutOfRangeException>("channels", () => ModelLoader.Create(ModelLoader.Mlp, 4, channels: 0));
        Assert.Equal(8, ModelLoader.Create(ModelLoader.Mlp, 4, 1, 1, 8).StateDict()["trunk.1.weight"].Dim(1));
        Assert.Throws<ArgumentException>("kind", () => ModelLoader.Create(ModelLoader.ResNet, 4, channels: 1, height: 2, width: 8));
        Assert.Equal(4, ModelLoader.Create(ModelLoader.ResNet, 4, 3, 8, 8).Forward(Tensor.Zeros(2, 3, 8, 8)).Dim(1));
        Assert.Equal(4, ModelLoader.Create(ModelLoader.PixelResidual, 4, 1, 2, 5).Forward(Tensor.Zeros(2, 1, 2, 5)).Dim(1));
    }

    private static (int, int, int) Shape(LoadedModel m) => (m.InputChannels, m.InputHeight, m.InputWidth);
}
