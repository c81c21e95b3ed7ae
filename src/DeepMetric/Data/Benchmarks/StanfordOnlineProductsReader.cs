using System.Globalization;

namespace DeepMetric.Data.Benchmarks;

/// <summary>
/// Stanford Online Products (Oh Song et al., "Deep Metric Learning via Lifted Structured Feature Embedding", CVPR 2016):
/// <c>Ebay_train.txt</c> (11,318 products) trains, <c>Ebay_test.txt</c> (11,316 other products) tests.
/// </summary>
/// <remarks>
/// Each file has the header "image_id class_id super_class_id path" and one image a line; paths are relative to the
/// directory holding the files. Classes are the products (class_id); the super-class (bicycle, chair, …) is not used.
/// </remarks>
public static class StanfordOnlineProductsReader
{
    /// <summary>Reads the split from <paramref name="root"/>.</summary>
    /// <exception cref="FileNotFoundException">A list file or an image is missing.</exception>
    /// <exception cref="InvalidDataException">A line is malformed.</exception>
    public static BenchmarkSplit Load(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        root = Path.GetFullPath(root);
        var train = Read(root, BenchmarkText.Find(root, "Stanford Online Products", "Ebay_train.txt"));
        var test = Read(root, BenchmarkText.Find(root, "Stanford Online Products", "Ebay_test.txt"));
        return new BenchmarkSplit("Stanford Online Products", train, test, test, string.Create(CultureInfo.InvariantCulture,
            $"Ebay_train.txt ({train.ClassNames.Count} products) train, Ebay_test.txt ({test.ClassNames.Count} products) test; test images are queries and reference (leave-one-out)"));
    }

    private static BenchmarkImageSet Read(string root, string list)
    {
        var items = new List<(string File, string Class)>();
        var classes = new SortedSet<int>();
        foreach (var (line, f) in BenchmarkText.Rows(list))
        {
            if (f.Length >= 2 && f[0] == "image_id")
            {
                continue;
            }
            if (f.Length != 4)
            {
                throw BenchmarkText.Bad(list, line, "expected 'image_id class_id super_class_id path'");
            }
            int cls = BenchmarkText.Int(list, line, f[1], "class_id");
            _ = BenchmarkText.Int(list, line, f[2], "super_class_id");
            classes.Add(cls);
            items.Add((BenchmarkText.Image(root, f[3], list, line), cls.ToString(CultureInfo.InvariantCulture)));
        }
        if (items.Count == 0)
        {
            throw new InvalidDataException($"{list} lists no images.");
        }
        return BenchmarkImageSet.FromPairs(items, classes.Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray());
    }
}
