using System.Buffers.Binary;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepMetric.Tensors.Random;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary>The tool on folders of JPEG colour photos of mixed sizes: train, embed, search, dedup, the report, and bad input.</summary>
public sealed class ImageFolderCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepmetric-photos-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // root/<class>/<i>.jpg: class c is a noisy field of its own colour with a darker square, at a random size 28-52 px.
    private string WritePhotos(string name, int classes = 4, int perClass = 6, ulong seed = 5)
    {
        var rng = new Prng(seed);
        string root = Path.Combine(_dir, name);
        (byte, byte, byte)[] colours = [(220, 40, 40), (40, 200, 60), (50, 70, 220), (230, 210, 40), (160, 60, 200)];
        for (int c = 0; c < classes; c++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"class{c}"));
            for (int i = 0; i < perClass; i++)
            {
                int w = 28 + rng.NextInt(25), h = 28 + rng.NextInt(25);
                using var image = new Image<Rgb24>(w, h);
                var (r, g, b) = colours[c];
                for (int y = 0; y < h; y++)
                {
                    for (int x = 0; x < w; x++)
                    {
                        bool square = Math.Abs(x - (w / 2)) < w / 5 && Math.Abs(y - (h / 2)) < h / 5;
                        int noise = rng.NextInt(40) - 20;
                        image[x, y] = new Rgb24(Clamp((square ? r / 3 : r) + noise), Clamp((square ? g / 3 : g) + noise), Clamp((square ? b / 3 : b) + noise));
                    }
                }
                image.SaveAsJpeg(Path.Combine(root, $"class{c}", $"{i:D2}.jpg"), new JpegEncoder { Quality = 90 });
            }
        }
        return root;
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

    [Fact]
    public void TrainEmbedSearchDedupAndReportOnColourPhotos()
    {
        string root = WritePhotos("photos");
        string run = Path.Combine(_dir, "run");
        string[] data = ["--data", "image-folder", "--data-dir", root, "--color", "rgb", "--image-size", "24"];
        var (code, output, err) = Run([.. "train".Split(' '), .. data, "--augment", "--jitter", "0.2", "--crop-scale", "0.5", "--normalize", "imagenet", "--resize-ratio", "1.2", "--model", "cnn",
            "--epochs", "1", "--iterations-per-epoch", "3", "--batch-size", "8", "--m-per-class", "4", "--embedding-size", "8", "--run-dir", run]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("train: classes class0, class1, 12 images; test: unseen classes class2, class3, 12 images", output, StringComparison.Ordinal);
        Assert.Contains("random-resized-crop+flip augmentation", output, StringComparison.Ordinal);
        Assert.True(Regex.IsMatch(output, @"waited [0-9.]+ s for training batches decoded ahead \([0-9.]+ % of training time\)"), output);
        string weights = Path.Combine(run, "model.safetensors");
        var loaded = ModelLoader.Load(weights);
        Assert.Equal((3, 24, 24), (loaded.InputChannels, loaded.InputHeight, loaded.InputWidth));

        // The report shows the test photos as colour thumbnails: a grid of 72-pixel cells (plus frames and gaps).
        string html = File.ReadAllText(Path.Combine(run, "report.html"));
        var grid = Regex.Match(html, "alt=\"nearest-neighbour grid\" width=\"(\\d+)\" height=\"(\\d+)\" src=\"data:image/png;base64,([^\"]+)\"");
        Assert.True(grid.Success, "no neighbour grid in the report");
        var png = TestPng.Decode(Convert.FromBase64String(grid.Groups[3].Value));
        Assert.True(png.Height > 72 * 3, $"grid height {png.Height}");
        Assert.True(TestPng.DistinctColours(png) > 200, "the thumbnails are not colour photos");

        string store = Path.Combine(_dir, "photos.dme");
        (code, _, err) = Run(["embed", "--weights", weights, .. data[..4], "--output", store]);
        Assert.Equal(("", 0), (err, code));
        string index = Path.Combine(_dir, "photos.index");
        Assert.Equal(0, Run("index", "--store", store, "--kind", "flat", "--output", index).Code);
        (code, output, err) = Run("search", "--index", index, "--image", Path.Combine(root, "class3", "02.jpg"), "--weights", weights, "--k", "2", "--json");
        Assert.Equal(("", 0), (err, code));
        var first = JsonDocument.Parse(output.Split('\n')[0]).RootElement.GetProperty("neighbors")[0];
        Assert.Equal("class3/02.jpg", first.GetProperty("id").GetString());
        Assert.True(first.GetProperty("distance").GetDouble() < 1e-5);
        // embed and search both read the photos as the model was trained (ratio 1.2, ImageNet normalisation, saved in the
        // model file); read another way, the query no longer matches its own stored embedding.
        (code, output, _) = Run("search", "--index", index, "--image", Path.Combine(root, "class3", "02.jpg"), "--weights", weights, "--k", "1", "--json", "--normalize", "none");
        Assert.Equal(0, code);
        Assert.True(JsonDocument.Parse(output.Split('\n')[0]).RootElement.GetProperty("neighbors")[0].GetProperty("distance").GetDouble() > 1e-3);

        // dedup over a flat folder of photos: a byte copy is a duplicate of its original.
        string flat = Path.Combine(_dir, "flat");
        Directory.CreateDirectory(flat);
        File.Copy(Path.Combine(root, "class0", "00.jpg"), Path.Combine(flat, "a.jpg"));
        File.Copy(Path.Combine(root, "class0", "00.jpg"), Path.Combine(flat, "b.jpg"));
        File.Copy(Path.Combine(root, "class2", "03.jpg"), Path.Combine(flat, "c.jpg"));
        (code, output, err) = Run("dedup", "--weights", weights, "--images", flat, "--threshold", "0.000001");
        Assert.Equal(0, code);
        Assert.StartsWith("deepmetric: dedup: 3 items, threshold 1E-06", err, StringComparison.Ordinal);   // dedup says which threshold it used
        Assert.Equal("group,representative,id,row,distance_to_representative\n0,a.jpg,a.jpg,0,0\n0,a.jpg,b.jpg,1,0\n", output);
    }

    [Fact]
    public void BadPhotosStopBeforeAnythingIsWritten()
    {
        string run = Path.Combine(_dir, "run");
        string[] train = ["train", "--data", "image-folder", "--color", "rgb", "--image-size", "16", "--epochs", "1", "--iterations-per-epoch", "1",
            "--batch-size", "8", "--m-per-class", "4", "--run-dir", run, "--data-dir"];

        string root = WritePhotos("truncated");
        string cut = Path.Combine(root, "class1", "03.jpg");
        File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..300]);
        var (code, _, err) = Run([.. train, root]);
        Assert.Equal(1, code);
        AssertOneLineError(err, cut, "truncated");
        Assert.False(Directory.Exists(run));

        // With --skip-bad-images the file is left out and counted.
        (code, var output, err) = Run([.. train[..^3], "--skip-bad-images", "--data-dir", root]);
        Assert.Equal(("", 0), (err, code));
        Assert.Contains("(1 unreadable file(s) skipped)", output, StringComparison.Ordinal);
        Assert.Contains("train: classes class0, class1, 11 images", output, StringComparison.Ordinal);

        root = WritePhotos("text");
        string text = Path.Combine(root, "class2", "notes.jpg");
        File.WriteAllText(text, "not a photo");
        (code, _, err) = Run([.. train, root]);
        Assert.Equal(1, code);
        AssertOneLineError(err, text);

        root = WritePhotos("bomb");
        string bomb = Path.Combine(root, "class0", "huge.png");
        byte[] png = TestPng.Encode(1, 1, 8, 2, [[1, 2, 3]], 3, _ => 0);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), TestPng.BitwiseCrc(png.AsSpan(12, 17)));
        File.WriteAllBytes(bomb, png);
        (code, _, err) = Run([.. train, root]);
        Assert.Equal(1, code);
        AssertOneLineError(err, bomb, "100000×100000");

        root = WritePhotos("empty");
        string empty = Path.Combine(root, "class9");
        Directory.CreateDirectory(empty);
        (code, _, err) = Run([.. train, root]);
        Assert.Equal(1, code);
        AssertOneLineError(err, empty, "no image files");

        root = WritePhotos("one", classes: 1);
        (code, _, err) = Run([.. train, root]);
        Assert.Equal(1, code);
        AssertOneLineError(err, root, "one class");
        Assert.False(Directory.Exists(run));

        (code, _, err) = Run("train", "--data", "image-folder", "--data-dir", WritePhotos("noaug"), "--jitter", "0.3");
        Assert.Equal(2, code);
        AssertOneLineError(err, "--jitter applies to --augment");
    }
}
