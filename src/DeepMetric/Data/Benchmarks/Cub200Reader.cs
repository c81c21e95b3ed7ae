using System.Globalization;

namespace DeepMetric.Data.Benchmarks;

/// <summary>
/// CUB-200-2011 (Wah et al., "The Caltech-UCSD Birds-200-2011 Dataset", 2011) in the deep-metric-learning protocol
/// (Oh Song et al., "Deep Metric Learning via Lifted Structured Feature Embedding", CVPR 2016): the first 100 classes
/// (ids 1-100) train, the last 100 test, every image of a class on its side (the dataset's own train_test_split.txt
/// is not used).
/// </summary>
/// <remarks>
/// Reads the archive's layout: <c>images.txt</c> ("image_id relative/path.jpg"), <c>image_class_labels.txt</c>
/// ("image_id class_id"), <c>classes.txt</c> ("class_id name") and the <c>images/</c> folder, in the given directory
/// or its <c>CUB_200_2011</c> sub-folder.
/// </remarks>
public static class Cub200Reader
{
    /// <summary>Reads the split from <paramref name="root"/>.</summary>
    /// <exception cref="FileNotFoundException">An annotation file or an image is missing.</exception>
    /// <exception cref="InvalidDataException">An annotation line is malformed or inconsistent.</exception>
    public static BenchmarkSplit Load(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        root = Path.GetFullPath(root);
        if (!File.Exists(Path.Combine(root, "images.txt")) && File.Exists(Path.Combine(root, "CUB_200_2011", "images.txt")))
        {
            root = Path.Combine(root, "CUB_200_2011");
        }
        string imagesTxt = BenchmarkText.Find(root, "CUB-200-2011", "images.txt");
        string labelsTxt = BenchmarkText.Find(root, "CUB-200-2011", "image_class_labels.txt");
        string classesTxt = BenchmarkText.Find(root, "CUB-200-2011", "classes.txt");

        var names = new SortedDictionary<int, string>();
        foreach (var (line, f) in BenchmarkText.Rows(classesTxt))
        {
            if (f.Length < 2)
            {
                throw BenchmarkText.Bad(classesTxt, line, "expected 'class_id name'");
            }
            if (!names.TryAdd(BenchmarkText.Int(classesTxt, line, f[0], "class_id"), f[1]))
            {
                throw BenchmarkText.Bad(classesTxt, line, $"class {f[0]} is listed twice");
            }
        }
        var paths = new Dictionary<int, (string Path, int Line)>();
        foreach (var (line, f) in BenchmarkText.Rows(imagesTxt))
        {
            if (f.Length != 2)
            {
                throw BenchmarkText.Bad(imagesTxt, line, "expected 'image_id relative/path'");
            }
            if (!paths.TryAdd(BenchmarkText.Int(imagesTxt, line, f[0], "image_id"), (f[1], line)))
            {
                throw BenchmarkText.Bad(imagesTxt, line, $"image {f[0]} is listed twice");
            }
        }
        var items = new List<(int Id, int Class)>();
        foreach (var (line, f) in BenchmarkText.Rows(labelsTxt))
        {
            if (f.Length != 2)
            {
                throw BenchmarkText.Bad(labelsTxt, line, "expected 'image_id class_id'");
            }
            int id = BenchmarkText.Int(labelsTxt, line, f[0], "image_id"), cls = BenchmarkText.Int(labelsTxt, line, f[1], "class_id");
            if (!paths.ContainsKey(id))
            {
                throw BenchmarkText.Bad(labelsTxt, line, $"image {id} is not in images.txt");
            }
            if (!names.ContainsKey(cls))
            {
                throw BenchmarkText.Bad(labelsTxt, line, $"class {cls} is not in classes.txt");
            }
            items.Add((id, cls));
        }
        if (names.Count < 2)
        {
            throw new InvalidDataException($"{classesTxt} lists {names.Count} class; the protocol needs at least 2.");
        }
        var ordered = names.Keys.ToArray();
        int half = ordered.Length / 2;
        var trainIds = ordered[..half];
        var testIds = ordered[half..];
        string imageRoot = Path.Combine(root, "images");
        BenchmarkImageSet Side(int[] classIds)
        {
            var wanted = new HashSet<int>(classIds);
            var pairs = items.Where(i => wanted.Contains(i.Class)).OrderBy(i => i.Id)
                .Select(i => (BenchmarkText.Image(imageRoot, paths[i.Id].Path, imagesTxt, paths[i.Id].Line), names[i.Class]));
            return BenchmarkImageSet.FromPairs(pairs, classIds.Select(c => names[c]).ToArray());
        }
        var test = Side(testIds);
        return new BenchmarkSplit("CUB-200-2011", Side(trainIds), test, test, string.Create(CultureInfo.InvariantCulture,
            $"classes {ordered[0]}-{ordered[half - 1]} train, {ordered[half]}-{ordered[^1]} test (all images of each class); test images are queries and reference (leave-one-out)"));
    }
}
