using System.Globalization;
using System.Text.Json;
using DeepMetric.Cli.Commands;
using DeepMetric.Tensors.Random;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary>
/// <c>--data cub|cars196|sop|inshop</c> end to end on tiny fixtures written here in each benchmark's own layout (a few
/// small JPEG and PNG files), bad layouts, and the query/reference choice of <c>eval</c> against a hand-worked example.
/// </summary>
public sealed class BenchmarkDataCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepmetric-bench-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly (byte R, byte G, byte B)[] s_colours = [(220, 40, 40), (40, 200, 60), (50, 70, 220), (230, 210, 40), (160, 60, 200), (40, 200, 200)];

    // A 20×16 noisy field of the class's colour with a dark square; JPEG or PNG by the extension.
    private static void Photo(string path, int cls, ulong seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var rng = new Prng(seed);
        using var image = new Image<Rgb24>(20, 16);
        var (r, g, b) = s_colours[cls % s_colours.Length];
        for (int y = 0; y < 16; y++)
        {
            for (int x = 0; x < 20; x++)
            {
                bool square = x is > 6 and < 13 && y is > 4 and < 11;
                int noise = rng.NextInt(30) - 15;
                image[x, y] = new Rgb24(C((square ? r / 3 : r) + noise), C((square ? g / 3 : g) + noise), C((square ? b / 3 : b) + noise));
            }
        }
        if (path.EndsWith(".png", StringComparison.Ordinal))
        {
            image.SaveAsPng(path);
        }
        else
        {
            image.SaveAsJpeg(path, new JpegEncoder { Quality = 90 });
        }
    }

    private static byte C(int v) => (byte)Math.Clamp(v, 0, 255);

    // CUB_200_2011/: classes.txt, images.txt, image_class_labels.txt, images/<class>/<file>.jpg; 4 classes × 4 images.
    private string Cub()
    {
        string root = Path.Combine(_dir, "CUB_200_2011");
        string[] classes = ["001.Black_footed_Albatross", "002.Laysan_Albatross", "003.Sooty_Albatross", "004.Groove_billed_Ani"];
        Directory.CreateDirectory(root);
        var images = new List<string>();
        var labels = new List<string>();
        for (int c = 0, id = 1; c < classes.Length; c++)
        {
            for (int k = 0; k < 4; k++, id++)
            {
                string rel = $"{classes[c]}/{classes[c]}_{k:D4}.jpg";
                Photo(Path.Combine(root, "images", rel), c, (ulong)id);
                images.Add($"{id} {rel}");
                labels.Add($"{id} {c + 1}");
            }
        }
        File.WriteAllLines(Path.Combine(root, "classes.txt"), classes.Select((c, i) => $"{i + 1} {c}"));
        File.WriteAllLines(Path.Combine(root, "images.txt"), images);
        File.WriteAllLines(Path.Combine(root, "image_class_labels.txt"), labels);
        return root;
    }

    // cars_annos.txt ("relative/path x1 y1 x2 y2 class test") and car_ims/; 4 classes × 4 images.
    private string Cars()
    {
        string root = Path.Combine(_dir, "cars196");
        var lines = new List<string>();
        for (int i = 1; i <= 16; i++)
        {
            int cls = ((i - 1) / 4) + 1;
            string rel = $"car_ims/{i:D6}.jpg";
            Photo(Path.Combine(root, rel), cls, (ulong)(100 + i));
            lines.Add($"{rel} 1 2 18 14 {cls} {i % 2}");
        }
        File.WriteAllLines(Path.Combine(root, "cars_annos.txt"), lines);
        return root;
    }

    // Ebay_train.txt / Ebay_test.txt ("image_id class_id super_class_id path"); 2 + 2 products × 4 PNG images.
    private string Sop()
    {
        string root = Path.Combine(_dir, "Stanford_Online_Products");
        var train = new List<string> { "image_id class_id super_class_id path" };
        var test = new List<string> { "image_id class_id super_class_id path" };
        int id = 1;
        foreach (var (cls, list, folder) in new[] { (1, train, "bicycle_final"), (2, train, "bicycle_final"), (11319, test, "cabinet_final"), (11320, test, "cabinet_final") })
        {
            for (int k = 0; k < 4; k++, id++)
            {
                string rel = $"{folder}/{cls}_{k}.png";
                Photo(Path.Combine(root, rel), list == train ? cls - 1 : cls - 11317, (ulong)(200 + id));
                list.Add($"{id} {cls} 1 {rel}");
            }
        }
        File.WriteAllLines(Path.Combine(root, "Ebay_train.txt"), train);
        File.WriteAllLines(Path.Combine(root, "Ebay_test.txt"), test);
        return root;
    }

    // Eval/list_eval_partition.txt and Img/img/...; 2 training items × 4 images, 2 test items × (2 queries + 3 gallery).
    private string InShop()
    {
        string root = Path.Combine(_dir, "inshop");
        var rows = new List<string>();
        void Add(string item, int cls, int k, string status)
        {
            string rel = $"img/WOMEN/Dresses/{item}/{k:D2}_{status}.jpg";
            Photo(Path.Combine(root, "Img", rel), cls, (ulong)(300 + rows.Count));
            rows.Add($"{rel} {item} {status}");
        }
        for (int k = 0; k < 4; k++)
        {
            Add("id_00000001", 0, k, "train");
            Add("id_00000002", 1, k, "train");
        }
        foreach (var (item, cls) in new[] { ("id_00000003", 2), ("id_00000004", 3) })
        {
            for (int k = 0; k < 2; k++)
            {
                Add(item, cls, k, "query");
            }
            for (int k = 2; k < 5; k++)
            {
                Add(item, cls, k, "gallery");
            }
        }
        Directory.CreateDirectory(Path.Combine(root, "Eval"));
        File.WriteAllLines(Path.Combine(root, "Eval", "list_eval_partition.txt"),
            [rows.Count.ToString(CultureInfo.InvariantCulture), "image_name item_id evaluation_status", .. rows]);
        return root;
    }

    private string Layout(string source) => source switch
    {
        DataSourceOptions.CubSource => Cub(),
        DataSourceOptions.Cars196Source => Cars(),
        DataSourceOptions.SopSource => Sop(),
        _ => InShop(),
    };

    private static JsonElement Json(string output) => JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;

    [Theory]
    [InlineData("cub", 8, 8, 7)]
    [InlineData("cars196", 8, 8, 7)]
    [InlineData("sop", 8, 8, 7)]
    [InlineData("inshop", 8, 4, 6)]
    public void TrainsOneEpochAndEvaluatesInTheStandardProtocol(string source, int train, int queries, int references)
    {
        string root = Layout(source);
        string run = Path.Combine(_dir, "run-" + source);
        string[] data = ["--data", source, "--data-dir", source == "cub" ? _dir : root, "--image-size", "16"];
        var (code, output, err) = Run(["train", .. data, "--model", "cnn", "--epochs", "1", "--iterations-per-epoch", "2", "--batch-size", "8",
            "--m-per-class", "4", "--embedding-size", "8", "--run-dir", run, "--json"]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        var json = Json(output);
        var trained = json;
        Assert.Equal(source, json.GetProperty("data").GetString());
        Assert.Equal(queries, json.GetProperty("queries").GetInt32());
        Assert.Equal(references, json.GetProperty("references").GetInt32());
        Assert.Equal(source != "inshop", json.GetProperty("ref_includes_query").GetBoolean());
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement;
        Assert.Equal((3, 16, 16), (config.GetProperty("input_channels").GetInt32(), config.GetProperty("input_height").GetInt32(), config.GetProperty("input_width").GetInt32()));
        string report = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains(source == "inshop" ? $"{queries} queries ranked among {references} separate reference items" : $"{queries} queries, each ranked among the other {references}", report, StringComparison.Ordinal);

        string weights = Path.Combine(run, "model.safetensors");
        (code, output, err) = Run(["eval", "--weights", weights, .. data[..4], "--json"]);
        Assert.Equal(("", 0), (err, code));
        json = Json(output);
        Assert.Equal(queries, json.GetProperty("images").GetInt32());
        Assert.Equal(references, json.GetProperty("references").GetInt32());
        // The saved model on the same queries and references gives train's figures.
        Assert.Equal(trained.GetProperty("map_at_r").GetDouble(), json.GetProperty("map_at_r").GetDouble(), 4);
        Assert.Equal(trained.GetProperty("raw_pixels_map_at_r").GetDouble(), json.GetProperty("raw_pixels_map_at_r").GetDouble(), 4);

        (code, output, err) = Run(["eval", "--weights", weights, .. data[..4]]);
        Assert.Equal(("", 0), (err, code));
        Assert.Contains("protocol: ", output, StringComparison.Ordinal);

        string store = Path.Combine(_dir, source + ".dme");
        (code, output, err) = Run(["embed", "--weights", weights, .. data[..4], "--split", "train", "--output", store]);
        Assert.Equal(("", 0), (err, code));
        Assert.Contains($"{train} × 8 embeddings of the train split", output, StringComparison.Ordinal);
        if (source == "inshop")
        {
            (code, output, err) = Run(["embed", "--weights", weights, .. data[..4], "--split", "gallery", "--output", Path.Combine(_dir, "gallery.dme")]);
            Assert.Equal(("", 0), (err, code));
            Assert.Contains("6 × 8 embeddings", output, StringComparison.Ordinal);
        }

        string html = Path.Combine(_dir, source + "-report.html");
        (code, output, err) = Run(["report", run, "--output", html, .. data[..4]]);
        Assert.Equal(("", 0), (err, code));
        Assert.Contains(source == "inshop" ? "ranked among 6 separate reference items" : "each ranked among the other 7", File.ReadAllText(html), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingOrMalformedLayoutFilesAreNamedOnOneLine()
    {
        string cub = Cub();
        File.Delete(Path.Combine(cub, "images.txt"));
        var (code, _, err) = Run("train", "--data", "cub", "--data-dir", cub, "--epochs", "1");
        Assert.Equal(1, code);
        AssertOneLineError(err, "images.txt");

        string sop = Sop();
        File.AppendAllText(Path.Combine(sop, "Ebay_test.txt"), "17 x 1 cabinet_final/11319_0.png\n");
        (code, _, err) = Run("eval", "--weights", Path.Combine(_dir, "none.safetensors"), "--data", "sop", "--data-dir", sop);
        Assert.True(code is 1 or 2, $"exit code {code}");
        // eval reads the weights first; train reads the data first.
        (code, _, err) = Run("train", "--data", "sop", "--data-dir", sop, "--epochs", "1");
        Assert.Equal(1, code);
        AssertOneLineError(err, "Ebay_test.txt, line 10", "class_id");

        string inshop = InShop();
        File.WriteAllText(Path.Combine(inshop, "Eval", "list_eval_partition.txt"), "1\nimage_name item_id evaluation_status\nimg/x.jpg id_1 validation\n");
        (code, _, err) = Run("train", "--data", "inshop", "--data-dir", inshop, "--epochs", "1");
        Assert.Equal(1, code);
        AssertOneLineError(err, "list_eval_partition.txt, line 3", "validation");

        (code, _, err) = Run("train", "--data", "cars196", "--data-dir", Path.Combine(_dir, "nothing-here"), "--epochs", "1");
        Assert.Equal(1, code);
        AssertOneLineError(err, "nothing-here");

        (code, _, err) = Run("train", "--data", "cars196", "--epochs", "1");
        Assert.Equal(2, code);
        AssertOneLineError(err, "--data cars196 needs --data-dir");
    }

    // Hand-worked example on the x axis (features [x, 0]). References (the training set): a0 = 0 and a1 = 2 of class 0,
    // b0 = 3 and b1 = 5 of class 1. Queries (the test set): q0 = 1.9 (class 0), q1 = 2.6 (1), q2 = 4.4 (0), q3 = 5.4 (1).
    //   q0: a1 0.1, b0 1.1, a0 1.9, b1 3.1 → labels 0 1 0 1; R = 2: P@1 1, MAP@R (1/1 + 0)/2 = 0.5, R-Precision 1/2
    //   q1: b0 0.4, a1 0.6, b1 2.4, a0 2.6 → 1 0 1 0: P@1 1, MAP@R 0.5, R-P 0.5
    //   q2: b1 0.6, b0 1.4, a1 2.4, a0 4.4 → 1 1 0 0: P@1 0, MAP@R 0, R-P 0
    //   q3: b1 0.4, b0 2.4, a1 3.4, a0 5.4 → 1 1 0 0: P@1 1, MAP@R (1 + 2/2)/2 = 1, R-P 1
    // → P@1 0.75, MAP@R 0.5, R-Precision 0.5. Among the queries themselves (each excluded, R = 1) every nearest other
    // query is of the other class: P@1 = MAP@R = 0 (1 for both if a query could find itself).
    [Fact]
    public void EvalRanksQueriesAgainstTheChosenReferenceSetAsWorkedByHand()
    {
        string P(string name) => Path.Combine(_dir, name);
        float[] reference = [0, 0, 2, 0, 3, 0, 5, 0];
        float[] queries = [1.9f, 0, 2.6f, 0, 4.4f, 0, 5.4f, 0];
        NpyTensorFile.Write(P("r.npy"), reference, [4, 2]);
        NpyTensorFile.Write(P("q.npy"), queries, [4, 2]);
        File.WriteAllLines(P("r.txt"), ["0", "0", "1", "1"]);
        File.WriteAllLines(P("q.txt"), ["0", "1", "0", "1"]);
        string[] data = ["--data", "npy", "--train", P("r.npy"), "--labels", P("r.txt"), "--test", P("q.npy"), "--test-labels", P("q.txt")];
        string run = P("run");
        var (code, _, err) = Run(["train", .. data, "--model", "mlp", "--epochs", "1", "--iterations-per-epoch", "1", "--batch-size", "4", "--m-per-class", "2",
            "--embedding-size", "2", "--run-dir", run, "--json"]);
        Assert.Equal(("", 0), (err, code));
        string weights = Path.Combine(run, "model.safetensors");

        JsonElement Eval(params string[] extra)
        {
            var (c, o, e) = Run(["eval", "--weights", weights, .. data, "--json", .. extra]);
            Assert.Equal(("", 0), (e, c));
            return Json(o);
        }
        var against = Eval("--query", "test", "--reference", "train");
        Assert.Equal(4, against.GetProperty("images").GetInt32());
        Assert.Equal(4, against.GetProperty("references").GetInt32());
        Assert.False(against.GetProperty("ref_includes_query").GetBoolean());
        Assert.Equal(0.75, against.GetProperty("raw_pixels_precision_at_1").GetDouble(), 6);
        Assert.Equal(0.5, against.GetProperty("raw_pixels_map_at_r").GetDouble(), 6);
        Assert.Equal(0.5, against.GetProperty("raw_pixels_r_precision").GetDouble(), 6);

        foreach (var self in new[] { Eval(), Eval("--reference", "query"), Eval("--reference", "test") })
        {
            Assert.Equal(3, self.GetProperty("references").GetInt32());
            Assert.True(self.GetProperty("ref_includes_query").GetBoolean());
            Assert.Equal(0, self.GetProperty("raw_pixels_precision_at_1").GetDouble(), 6);
            Assert.Equal(0, self.GetProperty("raw_pixels_map_at_r").GetDouble(), 6);
        }
        // The training set against itself: a0's nearest other is a1 (class 0), a1's is b0 (class 1), b0's a1, b1's b0.
        var train = Eval("--query", "train");
        Assert.Equal(0.5, train.GetProperty("raw_pixels_precision_at_1").GetDouble(), 6);

        var (code2, _, err2) = Run(["eval", "--weights", weights, .. data, "--reference", "gallery"]);
        Assert.Equal(2, code2);
        AssertOneLineError(err2, "--reference gallery", "--data npy");
        (code2, _, err2) = Run(["eval", "--weights", weights, .. data, "--split", "seen", "--query", "test"]);
        Assert.Equal(2, code2);
        AssertOneLineError(err2, "--split seen and --query");
    }
}
