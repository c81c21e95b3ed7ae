using System.Globalization;

namespace DeepMetric.Data.Benchmarks;

/// <summary>
/// In-Shop Clothes Retrieval of DeepFashion (Liu et al., "DeepFashion: Powering Robust Clothes Recognition and Retrieval
/// with Rich Annotations", CVPR 2016): the training items train; queries are retrieved among a separate gallery
/// (test items, disjoint from training items).
/// </summary>
/// <remarks>
/// Reads <c>list_eval_partition.txt</c> (in the directory or its <c>Eval/</c> folder): a count line, the header
/// "image_name item_id evaluation_status", then one image a line with status <c>train</c>, <c>query</c> or
/// <c>gallery</c>. Image names (<c>img/WOMEN/...</c>) are resolved against the directory, or its <c>Img/</c> folder
/// when the first image is found there. Query and gallery labels share one numbering (item ids in ordinal order).
/// </remarks>
public static class InShopClothesReader
{
    /// <summary>Reads the split from <paramref name="root"/>.</summary>
    /// <exception cref="FileNotFoundException">The partition file or an image is missing.</exception>
    /// <exception cref="InvalidDataException">A line is malformed or a status unknown.</exception>
    public static BenchmarkSplit Load(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        root = Path.GetFullPath(root);
        string list = BenchmarkText.Find(root, "In-Shop Clothes", "list_eval_partition.txt", Path.Combine("Eval", "list_eval_partition.txt"));
        var rows = new List<(int Line, string Image, string Item, string Status)>();
        bool first = true;
        foreach (var (line, f) in BenchmarkText.Rows(list))
        {
            if (first && f.Length == 1)
            {
                first = false;
                continue; // the count line
            }
            first = false;
            if (f.Length == 3 && f[0] == "image_name")
            {
                continue;
            }
            if (f.Length != 3)
            {
                throw BenchmarkText.Bad(list, line, "expected 'image_name item_id evaluation_status'");
            }
            if (f[2] is not ("train" or "query" or "gallery"))
            {
                throw BenchmarkText.Bad(list, line, $"evaluation_status should be train, query or gallery, got '{f[2]}'");
            }
            rows.Add((line, f[0], f[1], f[2]));
        }
        if (rows.Count == 0)
        {
            throw new InvalidDataException($"{list} lists no images.");
        }
        string imageRoot = !File.Exists(Path.Combine(root, rows[0].Image)) && File.Exists(Path.Combine(root, "Img", rows[0].Image))
            ? Path.Combine(root, "Img") : root;
        BenchmarkImageSet Side(Func<string, bool> status, IReadOnlyList<string> classOrder) =>
            BenchmarkImageSet.FromPairs(rows.Where(r => status(r.Status)).Select(r => (BenchmarkText.Image(imageRoot, r.Image, list, r.Line), r.Item)), classOrder);
        string[] Items(Func<string, bool> status) => rows.Where(r => status(r.Status)).Select(r => r.Item).Distinct().Order(StringComparer.Ordinal).ToArray();
        var testItems = Items(s => s != "train");
        var train = Side(s => s == "train", Items(s => s == "train"));
        var query = Side(s => s == "query", testItems);
        var gallery = Side(s => s == "gallery", testItems);
        if (query.Count == 0 || gallery.Count == 0)
        {
            throw new InvalidDataException($"{list} has {query.Count} query and {gallery.Count} gallery images; both are needed.");
        }
        return new BenchmarkSplit("In-Shop Clothes", train, query, gallery, string.Create(CultureInfo.InvariantCulture,
            $"{train.ClassNames.Count} training items; {query.Count} queries retrieved among {gallery.Count} gallery images of {testItems.Length} other items"));
    }
}
