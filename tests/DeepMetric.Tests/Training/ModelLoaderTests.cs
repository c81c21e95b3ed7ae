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
}
