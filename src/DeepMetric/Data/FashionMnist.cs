namespace DeepMetric.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine
/// Learning Algorithms", 2017; MIT licence, Zalando Research): 28×28 grey-scale images of clothing in ten classes,
/// 60,000 for training and 10,000 for testing, stored as IDX files.
/// </summary>
public static class FashionMnist
{
    /// <summary>Environment variable naming a directory that holds the IDX files (or a <c>fashion-mnist</c> folder with them).</summary>
    public const string EnvironmentVariable = "DEEPMETRIC_DATA";

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the data.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The shipped subset (600 training and 200 test images per class), relative to the repository root or the application directory.</summary>
    public const string ShippedSubsetDirectory = "data/fashion-mnist-subset";

    private const string TrainImages = "train-images-idx3-ubyte";
    private const string TrainLabels = "train-labels-idx1-ubyte";
    private const string TestImages = "t10k-images-idx3-ubyte";
    private const string TestLabels = "t10k-labels-idx1-ubyte";

    private static readonly string[] s_files = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>The class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);

    /// <summary>
    /// Loads the training and test sets from the directory <see cref="Locate(string?)"/> finds. Pixels are scaled to
    /// [0, 1] and stored as [n, 1, 28, 28].
    /// </summary>
    /// <param name="dataDir">A directory to use instead of searching.</param>
    /// <exception cref="DirectoryNotFoundException">No copy of the data was found.</exception>
    /// <exception cref="FileNotFoundException">A directory that was asked for lacks one of the files.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt.</exception>
    public static TrainTestSplit Load(string? dataDir = null) => Load(Locate(dataDir));

    /// <summary>Loads the training and test sets from <paramref name="location"/>.</summary>
    /// <exception cref="FileNotFoundException">The directory lacks one of the files.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt.</exception>
    public static TrainTestSplit Load(DatasetLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var files = FindFiles(location.Directory) ?? throw MissingFiles(location.Directory, $"the data directory ({location.Origin})");
        var train = ImageDataset.LoadIdx(files[0], files[1], ClassNames);
        var test = ImageDataset.LoadIdx(files[2], files[3], ClassNames);
        return new TrainTestSplit(train, test) { SourceDirectory = location.Directory };
    }

    /// <summary>
    /// Finds the data, in this order: <paramref name="dataDir"/>; the <c>DEEPMETRIC_DATA</c> environment variable;
    /// <see cref="SystemDirectory"/>; the shipped subset, looked for as <see cref="ShippedSubsetDirectory"/> in the
    /// application directory, the current directory and their parents. A directory qualifies when it (or its
    /// <c>fashion-mnist</c> subfolder) holds <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
    /// <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>, each raw or with a <c>.gz</c> suffix.
    /// A directory given explicitly or through the environment must hold the files: it is never silently skipped.
    /// </summary>
    /// <param name="dataDir">A directory to use instead of searching.</param>
    /// <exception cref="DirectoryNotFoundException">A given directory does not exist, or nothing was found.</exception>
    /// <exception cref="FileNotFoundException">A given directory lacks one of the files.</exception>
    public static DatasetLocation Locate(string? dataDir = null) =>
        Locate(dataDir, Environment.GetEnvironmentVariable(EnvironmentVariable), SystemDirectory,
            [AppContext.BaseDirectory, Environment.CurrentDirectory]);

    /// <summary>The search of <see cref="Locate(string?)"/> with its inputs passed in, for tests.</summary>
    internal static DatasetLocation Locate(string? dataDir, string? environmentValue, string systemDirectory, IEnumerable<string> searchStarts)
    {
        if (!string.IsNullOrWhiteSpace(dataDir))
        {
            return new DatasetLocation(Require(dataDir, "the data directory"), DatasetOrigin.Explicit);
        }
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            return new DatasetLocation(Require(environmentValue, $"{EnvironmentVariable}"), DatasetOrigin.EnvironmentVariable);
        }
        if (Qualify(systemDirectory) is { } system)
        {
            return new DatasetLocation(system, DatasetOrigin.System);
        }

        var searched = new List<string> { systemDirectory };
        foreach (var start in searchStarts)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ShippedSubsetDirectory);
                if (FindFiles(candidate) is not null)
                {
                    return new DatasetLocation(candidate, DatasetOrigin.ShippedSubset);
                }
            }
            searched.Add($"{ShippedSubsetDirectory} in {start} and its parents");
        }
        throw new DirectoryNotFoundException(
            $"Fashion-MNIST was not found (looked in {string.Join("; ", searched)}). Pass a data directory, set {EnvironmentVariable}, or install Debian's dataset-fashion-mnist package.");
    }

    // An explicitly requested directory: it must exist and hold the files, directly or in fashion-mnist/.
    private static string Require(string dir, string what)
    {
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Fashion-MNIST: {what} '{full}' does not exist.");
        }
        return Qualify(full) ?? throw MissingFiles(full, what);
    }

    private static string? Qualify(string dir)
    {
        if (FindFiles(dir) is not null)
        {
            return Path.GetFullPath(dir);
        }
        var nested = Path.Combine(dir, "fashion-mnist");
        return FindFiles(nested) is not null ? Path.GetFullPath(nested) : null;
    }

    // The four files in s_files order, each raw or .gz, or null when one is missing.
    private static string[]? FindFiles(string dir)
    {
        if (!Directory.Exists(dir))
        {
            return null;
        }
        var paths = new string[s_files.Length];
        for (int i = 0; i < s_files.Length; i++)
        {
            var gz = Path.Combine(dir, s_files[i] + ".gz");
            var raw = Path.Combine(dir, s_files[i]);
            if (File.Exists(gz))
            {
                paths[i] = gz;
            }
            else if (File.Exists(raw))
            {
                paths[i] = raw;
            }
            else
            {
                return null;
            }
        }
        return paths;
    }

    private static FileNotFoundException MissingFiles(string dir, string what)
    {
        var missing = new List<string>();
        foreach (var f in s_files)
        {
            if (!File.Exists(Path.Combine(dir, f + ".gz")) && !File.Exists(Path.Combine(dir, f)))
            {
                missing.Add(f + "[.gz]");
            }
        }
        return new FileNotFoundException(
            $"Fashion-MNIST: {what} '{dir}' lacks {string.Join(", ", missing)} (expected the four IDX files, raw or gzipped, there or in its fashion-mnist subfolder).",
            Path.Combine(dir, missing.Count > 0 ? missing[0] : s_files[0]));
    }
}
