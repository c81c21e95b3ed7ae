using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepMetric.Cli.Commands;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary>train/eval/embed/search on a generated CSV file and a generated PGM image folder, samplers and data errors.</summary>
public sealed class DataSourceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepmetric-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 6 classes, each a mixture of 3 Gaussian blobs in 8-D (8 points per blob), label in the last column named "label".
    private string WriteCsv()
    {
        var rng = new Prng(7);
        var text = new StringBuilder("f0,f1,f2,f3,f4,f5,f6,f7,label\n");
        for (int c = 0; c < 6; c++)
        {
            for (int blob = 0; blob < 3; blob++)
            {
                var centre = new double[8];
                for (int d = 0; d < 8; d++)
                {
                    centre[d] = 4 * rng.NextNormal();
                }
                for (int i = 0; i < 8; i++)
                {
                    for (int d = 0; d < 8; d++)
                    {
                        text.Append((centre[d] + (0.2 * rng.NextNormal())).ToString("R", CultureInfo.InvariantCulture)).Append(',');
                    }
                    text.Append("class").Append(c).Append('\n');
                }
            }
        }
        string path = Path.Combine(_dir, "blobs.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    // 4 classes × 6 binary PGM images of 8×8: class c is a bright band on row 2c (plus noise).
    private string WriteImageFolder()
    {
        var rng = new Prng(3);
        string root = Path.Combine(_dir, "images");
        for (int c = 0; c < 4; c++)
        {
            string classDir = Path.Combine(root, $"c{c}");
            Directory.CreateDirectory(classDir);
            for (int i = 0; i < 6; i++)
            {
                var bytes = new List<byte>(Encoding.ASCII.GetBytes("P5\n8 8\n255\n"));
                for (int y = 0; y < 8; y++)
                {
                    for (int x = 0; x < 8; x++)
                    {
                        bytes.Add((byte)((y / 2 == c ? 200 : 20) + rng.NextInt(40)));
                    }
                }
                File.WriteAllBytes(Path.Combine(classDir, $"{i}.pgm"), bytes.ToArray());
            }
        }
        return root;
    }

    private static JsonElement JsonLine(string output) => JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()).RootElement;

    [Fact]
    public void CsvTrainEvalEmbed()
    {
        string csv = WriteCsv();
        string run = Path.Combine(_dir, "run");
        string[] data = ["--data", "csv", "--train", csv, "--label-column", "label"];
        var (code, output, err) = Run(["train", .. data, "--epochs", "1", "--iterations-per-epoch", "4", "--batch-size", "12", "--m-per-class", "4",
            "--embedding-size", "8", "--run-dir", run]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("train: classes class0, class1, class2, 72 images; test: unseen classes class3, class4, class5, 72 images", output, StringComparison.Ordinal);
        Assert.Contains("batch 12 (3 classes × 4)", output, StringComparison.Ordinal);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))))
        {
            Assert.Equal("csv", config.RootElement.GetProperty("data").GetString());
            Assert.Equal((1, 1, 8), (config.RootElement.GetProperty("input_channels").GetInt32(), config.RootElement.GetProperty("input_height").GetInt32(),
                config.RootElement.GetProperty("input_width").GetInt32()));
        }

        string weights = Path.Combine(run, "model.safetensors");
        (code, output, err) = Run(["eval", "--weights", weights, .. data, "--json"]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        var eval = JsonLine(output);
        Assert.Equal(72, eval.GetProperty("images").GetInt32());
        // Three well-separated blobs per class: even the raw features retrieve the right class (chance is 1/3).
        Assert.True(eval.GetProperty("raw_pixels_precision_at_1").GetDouble() > 0.9, output);
        Assert.True(eval.GetProperty("precision_at_1").GetDouble() > 0.5, output);

        string store = Path.Combine(_dir, "csv.dme");
        (code, output, err) = Run(["embed", "--weights", weights, .. data, "--output", store]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        using var s = DeepMetric.Search.EmbeddingStore.Open(store);
        Assert.Equal((72, 8), (s.Count, s.Dimension));
        // Ids are the rows of the file: the unseen classes are rows 72-143.
        Assert.Equal("row/000072", s.GetId(0));
        Assert.Equal(3, s.GetLabel(0));

        // The model does not fit Fashion-MNIST images.
        (code, _, err) = Run("eval", "--weights", weights, "--data-dir", Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset"));
        Assert.Equal(2, code);
        Assert.Contains("takes 1×1×8 inputs", err, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageFolderTrainEvalEmbedAndSearchByImage()
    {
        string root = WriteImageFolder();
        string run = Path.Combine(_dir, "run");
        string[] data = ["--data", "image-folder", "--data-dir", root];
        var (code, output, err) = Run(["train", .. data, "--epochs", "1", "--iterations-per-epoch", "3", "--batch-size", "8", "--m-per-class", "4",
            "--embedding-size", "8", "--model", "cnn", "--run-dir", run]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("train: classes c0, c1, 12 images; test: unseen classes c2, c3, 12 images", output, StringComparison.Ordinal);

        string weights = Path.Combine(run, "model.safetensors");
        var loaded = ModelLoader.Load(weights);
        Assert.Equal(("cnn", 1, 8, 8), (loaded.Kind, loaded.InputChannels, loaded.InputHeight, loaded.InputWidth));
        (code, output, err) = Run(["eval", "--weights", weights, .. data, "--json"]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Equal(12, JsonLine(output).GetProperty("images").GetInt32());

        string store = Path.Combine(_dir, "img.dme");
        (code, _, err) = Run(["embed", "--weights", weights, .. data, "--output", store]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        string index = Path.Combine(_dir, "img.index");
        Assert.Equal(0, Run("index", "--store", store, "--kind", "flat", "--output", index).Code);

        // The query image is in the index (same size, so no resampling): it is its own nearest neighbour.
        (code, output, err) = Run("search", "--index", index, "--image", Path.Combine(root, "c3", "4.pgm"), "--weights", weights, "--k", "3", "--json");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        var first = JsonLine(output).GetProperty("neighbors")[0];
        Assert.Equal("c3/4.pgm", first.GetProperty("id").GetString());
        Assert.True(first.GetProperty("distance").GetDouble() < 1e-5);

        (code, _, err) = Run("search", "--index", index, "--image", Path.Combine(root, "c3", "4.pgm"));
        Assert.Equal(2, code);
        Assert.Contains("--weights", err, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainTestSubFoldersAreUsedAsGiven()
    {
        string root = WriteImageFolder();
        string both = Path.Combine(_dir, "both");
        Directory.CreateDirectory(both);
        Directory.Move(root, Path.Combine(both, "train"));
        root = WriteImageFolder();
        Directory.Move(root, Path.Combine(both, "test"));
        var (code, output, err) = Run("train", "--data", "image-folder", "--data-dir", both, "--epochs", "1", "--iterations-per-epoch", "1",
            "--batch-size", "8", "--m-per-class", "4", "--sampler", "shuffled", "--image-size", "12x12");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("train: classes c0, c1, c2, c3, 24 images; test: classes c0, c1, c2, c3, 24 images", output, StringComparison.Ordinal);
        Assert.Contains("batch 8 (shuffled)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void SamplerOptions()
    {
        Assert.Equal("pk", Commands.SamplerOptions.ResolveName(null, "fstat"));
        Assert.Equal("m-per-class", Commands.SamplerOptions.ResolveName(null, "triplet"));
        Assert.Equal("shuffled", Commands.SamplerOptions.ResolveName("shuffled", "fstat"));

        string csv = WriteCsv();
        string[] common = ["train", "--data", "csv", "--train", csv, "--label-column", "label", "--epochs", "1", "--iterations-per-epoch", "1", "--quiet"];
        string[] chatty = [.. common[..^1]];
        var (code, output, err) = Run([.. chatty, "--loss", "fstat", "--miner", "none", "--batch-size", "12", "--m-per-class", "4"]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("batch 12 (pk: 3 classes × 4)", output, StringComparison.Ordinal);

        (code, output, err) = Run([.. chatty, "--sampler", "pk", "--p", "2", "--k", "5"]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("batch 10 (pk: 2 classes × 5)", output, StringComparison.Ordinal);

        string super = Path.Combine(_dir, "super.txt");
        File.WriteAllText(super, "# class,super\nclass0,a\nclass1,a\nclass2,b\nclass3,b\nclass4,c\n5,c\n");
        (code, output, err) = Run([.. chatty, "--sampler", "hierarchical", "--super-labels", super, "--batch-size", "8", "--m-per-class", "4"]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("batch 8 (hierarchical: 2 super-classes × 1 classes × 4)", output, StringComparison.Ordinal);

        (code, _, err) = Run([.. common, "--sampler", "hierarchical"]);
        Assert.Equal(2, code);
        Assert.Contains("--super-labels", err, StringComparison.Ordinal);
        (code, _, err) = Run([.. common, "--p", "3"]);
        Assert.Equal(2, code);
        Assert.Contains("--p applies to --sampler pk", err, StringComparison.Ordinal);
        (code, _, err) = Run([.. common, "--sampler", "random"]);
        Assert.Equal(2, code);
        Assert.Contains("random", err, StringComparison.Ordinal);
        File.WriteAllText(super, "class0,a\n");
        (code, _, err) = Run([.. common, "--sampler", "hierarchical", "--super-labels", super]);
        Assert.Equal(1, code);
        Assert.Contains("no super-class for class 'class1'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void FashionMnistHierarchicalUsesTheBuiltInGrouping()
    {
        var (code, output, err) = Run("train", "--data-dir", Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset"), "--sampler", "hierarchical",
            "--batch-size", "48", "--m-per-class", "16", "--epochs", "1", "--iterations-per-epoch", "1");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        // Training classes 0-4: tops {0, 2, 4}, bottoms {1}, dresses {3}; one class per super-class fits all three.
        Assert.Contains("batch 48 (hierarchical: 3 super-classes × 1 classes × 16)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void DataErrorsAreOneLine()
    {
        string missing = Path.Combine(_dir, "nowhere");
        var (code, _, err) = Run("train", "--data", "image-folder", "--data-dir", missing);
        Assert.Equal(1, code);
        Assert.Equal($"deepmetric: error: Image folder '{missing}' does not exist.", err.TrimEnd());

        string ragged = Path.Combine(_dir, "ragged.csv");
        File.WriteAllText(ragged, "1,0.5,0.25\n2,0.5,0.25\n1,0.5\n");
        (code, _, err) = Run("train", "--data", "csv", "--train", ragged);
        Assert.Equal(1, code);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"'{ragged}' line 3", err, StringComparison.Ordinal);

        (code, _, err) = Run("train", "--data", "csv");
        Assert.Equal(2, code);
        Assert.Contains("--data csv needs --train", err, StringComparison.Ordinal);
        (code, _, err) = Run("train", "--data", "csv", "--train", ragged, "--image-size", "8x8");
        Assert.Equal(2, code);
        Assert.Contains("--image-size applies to --data image-folder", err, StringComparison.Ordinal);
        (code, _, err) = Run("train", "--data", "image-folder", "--data-dir", WriteImageFolder(), "--image-size", "8by8");
        Assert.Equal(2, code);
        Assert.Contains("WxH", err, StringComparison.Ordinal);
        (code, _, err) = Run("train", "--data", "csv", "--train", WriteCsv(), "--label-column", "label", "--model", "cnn", "--batch-size", "12", "--m-per-class", "4");
        Assert.Equal(1, code);
        Assert.Contains("MLP for feature vectors", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("28x14", 28, 14)]
    [InlineData("32", 32, 32)]
    public void ImageSizeParses(string text, int width, int height) =>
        Assert.Equal((width, height), DataSourceOptions.ParseImageSize(text));
}
