using DeepMetric.Data.Benchmarks;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Data.Benchmarks;

/// <summary>The four benchmark readers on tiny fixtures written here in each dataset's own layout.</summary>
public sealed class BenchmarkReaderTests
{
    private static readonly byte[] s_png = TestPng.Encode(2, 2, 8, 0, [[0, 255], [255, 0]], 1, _ => 0);

    // A minimal baseline JPEG is not needed by the readers (they do not decode); the bytes only have to exist.
    private static readonly byte[] s_jpegLike = [0xFF, 0xD8, 0xFF, 0xD9];

    private static void Image(string root, string relative, bool jpeg = true)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, jpeg ? s_jpegLike : s_png);
    }

    // CUB: 4 classes × 2 images; ids deliberately not in path order.
    private static string Cub(TempDir dir)
    {
        string root = Path.Combine(dir.Path, "CUB_200_2011");
        Directory.CreateDirectory(root);
        string[] classes = ["001.Black_footed_Albatross", "002.Laysan_Albatross", "003.Sooty_Albatross", "004.Groove_billed_Ani"];
        File.WriteAllLines(Path.Combine(root, "classes.txt"), classes.Select((c, i) => $"{i + 1} {c}"));
        var images = new List<string>();
        var labels = new List<string>();
        int id = 0;
        for (int c = 0; c < 4; c++)
        {
            for (int k = 0; k < 2; k++)
            {
                id++;
                string rel = $"{classes[c]}/{classes[c]}_{k}.jpg";
                Image(Path.Combine(root, "images"), rel);
                images.Add($"{id} {rel}");
                labels.Add($"{id} {c + 1}");
            }
        }
        File.WriteAllLines(Path.Combine(root, "images.txt"), images);
        File.WriteAllLines(Path.Combine(root, "image_class_labels.txt"), labels);
        File.WriteAllLines(Path.Combine(root, "train_test_split.txt"), Enumerable.Range(1, 8).Select(i => $"{i} {i % 2}"));
        return root;
    }

    [Fact]
    public void CubTrainsOnTheFirstHalfOfTheClassesAndTestsOnTheRest()
    {
        using var dir = new TempDir();
        Cub(dir);
        var split = Cub200Reader.Load(dir.Path); // finds the CUB_200_2011 sub-folder
        Assert.Equal(["001.Black_footed_Albatross", "002.Laysan_Albatross"], split.Train.ClassNames);
        Assert.Equal(["003.Sooty_Albatross", "004.Groove_billed_Ani"], split.Query.ClassNames);
        Assert.Equal([0, 0, 1, 1], split.Train.Labels);
        Assert.Equal(4, split.Query.Count);
        Assert.True(split.QueryIsReference);
        Assert.EndsWith(Path.Combine("images", "003.Sooty_Albatross", "003.Sooty_Albatross_0.jpg"), split.Query.Files[0], StringComparison.Ordinal);
        Assert.All(split.Train.Files.Concat(split.Query.Files), f => Assert.True(File.Exists(f)));
    }

    [Fact]
    public void CubErrorsNameTheFileAndLine()
    {
        using var dir = new TempDir();
        string root = Cub(dir);
        File.AppendAllText(Path.Combine(root, "image_class_labels.txt"), "9 x\n");
        var e = Assert.Throws<InvalidDataException>(() => Cub200Reader.Load(root));
        Assert.Contains("image_class_labels.txt, line 9", e.Message, StringComparison.Ordinal);
        File.Delete(Path.Combine(root, "images", "001.Black_footed_Albatross", "001.Black_footed_Albatross_1.jpg"));
        File.WriteAllLines(Path.Combine(root, "image_class_labels.txt"), Enumerable.Range(1, 8).Select(i => $"{i} {((i - 1) / 2) + 1}"));
        var missing = Assert.Throws<FileNotFoundException>(() => Cub200Reader.Load(root));
        Assert.Contains("001.Black_footed_Albatross_1.jpg", missing.Message, StringComparison.Ordinal);
        Assert.Throws<DirectoryNotFoundException>(() => Cub200Reader.Load(Path.Combine(root, "nope")));
    }

    [Fact]
    public void CarsCsvExportPoolsBothSplitsAndDividesByClass()
    {
        using var dir = new TempDir();
        // 4 classes; the original train/test halves each hold images of every class.
        var train = new List<string>();
        var test = new List<string>();
        for (int c = 1; c <= 4; c++)
        {
            Image(Path.Combine(dir.Path, "cars_train"), $"0000{c}.jpg");
            Image(Path.Combine(dir.Path, "cars_test"), $"0000{c}.jpg");
            train.Add($"0000{c}.jpg,1,2,30,40,{c}");
            test.Add($"0000{c}.jpg,3,4,50,60,{c}");
        }
        File.WriteAllLines(dir.File("anno_train.csv"), train);
        File.WriteAllLines(dir.File("anno_test.csv"), test);
        File.WriteAllLines(dir.File("names.csv"), ["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "Acura TL Sedan 2012", "Acura TL Type-S 2008"]);
        var split = Cars196Reader.Load(dir.Path);
        Assert.Equal(["AM General Hummer SUV 2000", "Acura RL Sedan 2012"], split.Train.ClassNames);
        Assert.Equal(["Acura TL Sedan 2012", "Acura TL Type-S 2008"], split.Query.ClassNames);
        Assert.Equal(4, split.Train.Count);
        Assert.Equal(4, split.Query.Count);
        Assert.Contains(split.Train.Files, f => f.EndsWith(Path.Combine("cars_test", "00001.jpg"), StringComparison.Ordinal));
        Assert.True(split.QueryIsReference);
    }

    [Fact]
    public void CarsAnnotationTextIsReadInBothForms()
    {
        using var dir = new TempDir();
        var lines = new List<string>();
        for (int i = 1; i <= 6; i++)
        {
            string rel = $"car_ims/{i:D6}.jpg";
            Image(dir.Path, rel);
            int cls = ((i - 1) / 2) + 1; // classes 1, 2, 3
            lines.Add(i % 2 == 0 ? $"{rel} {cls}" : $"{rel} 10 20 110 90 {cls} 0");
        }
        File.WriteAllLines(dir.File("cars_annos.txt"), lines);
        var split = Cars196Reader.Load(dir.Path);
        Assert.Equal(["1"], split.Train.ClassNames); // 3 classes: the first ⌊3/2⌋ = 1 train
        Assert.Equal(["2", "3"], split.Query.ClassNames);
        Assert.Equal([0, 0, 1, 1], split.Query.Labels);
        File.AppendAllText(dir.File("cars_annos.txt"), "car_ims/000001.jpg 1 2 3\n");
        Assert.Throws<InvalidDataException>(() => Cars196Reader.Load(dir.Path));
        using var empty = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => Cars196Reader.Load(empty.Path));
        Assert.Contains(".mat", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StanfordOnlineProductsUsesTheTwoLists()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("Ebay_train.txt"), ["image_id class_id super_class_id path",
            "1 1 1 bicycle_final/111_0.JPG", "2 1 1 bicycle_final/111_1.JPG", "3 2 1 bicycle_final/222_0.JPG", "4 2 1 bicycle_final/222_1.JPG"]);
        File.WriteAllLines(dir.File("Ebay_test.txt"), ["image_id class_id super_class_id path",
            "5 11319 2 cabinet_final/333_0.JPG", "6 11320 2 cabinet_final/444_0.JPG", "7 11319 2 cabinet_final/333_1.JPG"]);
        foreach (var rel in new[] { "bicycle_final/111_0.JPG", "bicycle_final/111_1.JPG", "bicycle_final/222_0.JPG", "bicycle_final/222_1.JPG", "cabinet_final/333_0.JPG", "cabinet_final/444_0.JPG", "cabinet_final/333_1.JPG" })
        {
            Image(dir.Path, rel);
        }
        var split = StanfordOnlineProductsReader.Load(dir.Path);
        Assert.Equal(["1", "2"], split.Train.ClassNames);
        Assert.Equal([0, 0, 1, 1], split.Train.Labels);
        Assert.Equal(["11319", "11320"], split.Query.ClassNames);
        Assert.Equal([0, 1, 0], split.Query.Labels);
        Assert.True(split.QueryIsReference);
        File.AppendAllText(dir.File("Ebay_test.txt"), "8 x 2 cabinet_final/333_0.JPG\n");
        var e = Assert.Throws<InvalidDataException>(() => StanfordOnlineProductsReader.Load(dir.Path));
        Assert.Contains("Ebay_test.txt, line 5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InShopHasSeparateQueryAndGalleryWithSharedLabels()
    {
        using var dir = new TempDir();
        string[] rows =
        [
            "img/WOMEN/Dresses/id_00000002/02_1_front.jpg id_00000002 train",
            "img/WOMEN/Dresses/id_00000002/02_2_side.jpg id_00000002 train",
            "img/MEN/Denim/id_00000080/01_1_front.jpg id_00000080 query",
            "img/MEN/Denim/id_00000080/01_2_side.jpg id_00000080 gallery",
            "img/MEN/Denim/id_00000070/01_1_front.jpg id_00000070 gallery",
            "img/MEN/Denim/id_00000070/01_3_back.jpg id_00000070 query",
        ];
        Directory.CreateDirectory(dir.File("Eval"));
        File.WriteAllLines(Path.Combine(dir.Path, "Eval", "list_eval_partition.txt"), ["6", "image_name item_id evaluation_status", .. rows]);
        foreach (var row in rows)
        {
            Image(Path.Combine(dir.Path, "Img"), row.Split(' ')[0], jpeg: false);
        }
        var split = InShopClothesReader.Load(dir.Path);
        Assert.False(split.QueryIsReference);
        Assert.Equal(["id_00000002"], split.Train.ClassNames);
        Assert.Equal(["id_00000070", "id_00000080"], split.Query.ClassNames);
        Assert.Equal(split.Query.ClassNames, split.Reference.ClassNames);
        Assert.Equal([1, 0], split.Query.Labels);
        Assert.Equal([1, 0], split.Reference.Labels);
        Assert.All(split.Query.Files, f => Assert.Contains(Path.Combine(dir.Path, "Img", "img"), f, StringComparison.Ordinal));
        File.AppendAllText(Path.Combine(dir.Path, "Eval", "list_eval_partition.txt"), "img/x.jpg id_1 validation\n");
        var e = Assert.Throws<InvalidDataException>(() => InShopClothesReader.Load(dir.Path));
        Assert.Contains("validation", e.Message, StringComparison.Ordinal);
    }
}
