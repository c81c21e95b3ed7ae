using System.Globalization;

namespace DeepMetric.Data.Benchmarks;

/// <summary>
/// Cars196 (Krause et al., "3D Object Representations for Fine-Grained Categorization", 3dRR 2013) in the
/// deep-metric-learning protocol (Oh Song et al., CVPR 2016): all 16,185 images pooled, classes 1-98 train,
/// 99-196 test.
/// </summary>
/// <remarks>
/// The devkit's annotations are MATLAB files (<c>cars_annos.mat</c>, <c>devkit/cars_*_annos.mat</c>), which this
/// reader does not parse. It reads the two common text exports instead:
/// <list type="number">
/// <item><c>anno_train.csv</c> and <c>anno_test.csv</c> ("file,x1,y1,x2,y2,class", no header; images in
/// <c>cars_train/</c> and <c>cars_test/</c>), with optional <c>names.csv</c> (class names, one a line, class 1 first).</item>
/// <item><c>cars_annos.txt</c>: one image a line, white-space separated, "relative/path class" or the fields of
/// <c>cars_annos.mat</c> in order, "relative/path x1 y1 x2 y2 class [test]"; paths relative to the directory
/// (e.g. <c>car_ims/000001.jpg</c>).</item>
/// </list>
/// Bounding boxes are ignored (the protocol uses whole images).
/// </remarks>
public static class Cars196Reader
{
    /// <summary>Reads the split from <paramref name="root"/>.</summary>
    /// <exception cref="FileNotFoundException">No supported annotation file, or an image is missing.</exception>
    /// <exception cref="InvalidDataException">An annotation line is malformed.</exception>
    public static BenchmarkSplit Load(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        root = Path.GetFullPath(root);
        var items = new List<(string File, int Class)>();
        string source;
        if (File.Exists(Path.Combine(root, "anno_train.csv")))
        {
            ReadCsv(root, "anno_train.csv", "cars_train", items);
            ReadCsv(root, "anno_test.csv", "cars_test", items);
            source = "anno_train.csv + anno_test.csv";
        }
        else
        {
            string txt = BenchmarkText.Find(root, "Cars196 (anno_train.csv/anno_test.csv or cars_annos.txt; the MATLAB .mat files are not read)", "cars_annos.txt");
            foreach (var (line, f) in BenchmarkText.Rows(txt))
            {
                int classField = f.Length == 2 ? 1 : f.Length is 6 or 7 ? 5 : throw BenchmarkText.Bad(txt, line, "expected 'path class' or 'path x1 y1 x2 y2 class [test]'");
                items.Add((BenchmarkText.Image(root, f[0], txt, line), BenchmarkText.Int(txt, line, f[classField], "class")));
            }
            source = "cars_annos.txt";
        }
        var classes = items.Select(i => i.Class).Distinct().Order().ToArray();
        if (classes.Length < 2)
        {
            throw new InvalidDataException($"Cars196 in '{root}' has {classes.Length} class; the protocol needs at least 2.");
        }
        var names = ReadNames(root, classes);
        int half = classes.Length / 2;
        BenchmarkImageSet Side(int[] side)
        {
            var wanted = new HashSet<int>(side);
            return BenchmarkImageSet.FromPairs(items.Where(i => wanted.Contains(i.Class)).Select(i => (i.File, names[i.Class])), side.Select(c => names[c]).ToArray());
        }
        var test = Side(classes[half..]);
        return new BenchmarkSplit("Cars196", Side(classes[..half]), test, test, string.Create(CultureInfo.InvariantCulture,
            $"from {source}: all images pooled, classes {classes[0]}-{classes[half - 1]} train, {classes[half]}-{classes[^1]} test; test images are queries and reference (leave-one-out)"));
    }

    private static void ReadCsv(string root, string file, string folder, List<(string File, int Class)> items)
    {
        string path = Path.Combine(root, file);
        foreach (var (line, f) in BenchmarkText.Rows(path, csv: true))
        {
            if (f.Length != 6)
            {
                throw BenchmarkText.Bad(path, line, "expected 'file,x1,y1,x2,y2,class'");
            }
            items.Add((BenchmarkText.Image(Path.Combine(root, folder), f[0], path, line), BenchmarkText.Int(path, line, f[5], "class")));
        }
    }

    // names.csv line i names class i (1-based); without it a class is named by its number.
    private static Dictionary<int, string> ReadNames(string root, int[] classes)
    {
        var names = classes.ToDictionary(c => c, c => c.ToString(CultureInfo.InvariantCulture));
        string path = Path.Combine(root, "names.csv");
        if (File.Exists(path))
        {
            int id = 0;
            foreach (var line in File.ReadLines(path))
            {
                id++;
                if (names.ContainsKey(id) && !string.IsNullOrWhiteSpace(line))
                {
                    names[id] = line.Trim();
                }
            }
        }
        return names;
    }
}
