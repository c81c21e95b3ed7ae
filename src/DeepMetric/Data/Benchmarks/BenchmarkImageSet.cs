namespace DeepMetric.Data.Benchmarks;

/// <summary>
/// A list of image files with one class label each: what a benchmark reader returns, before any decoding. Labels are
/// dense in [0, <see cref="ClassNames"/>.Count) and index the set's class names.
/// </summary>
/// <param name="Files">Absolute image paths.</param>
/// <param name="Labels">One label per file.</param>
/// <param name="ClassNames">Class names indexed by label (the benchmark's class id or name).</param>
public sealed record BenchmarkImageSet(IReadOnlyList<string> Files, IReadOnlyList<int> Labels, IReadOnlyList<string> ClassNames)
{
    /// <summary>Number of images.</summary>
    public int Count => Files.Count;

    /// <summary>Builds a set from (file, class key) pairs: classes are numbered in the order <paramref name="classOrder"/> gives.</summary>
    internal static BenchmarkImageSet FromPairs(IEnumerable<(string File, string Class)> items, IReadOnlyList<string> classOrder)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in classOrder)
        {
            index.TryAdd(name, index.Count);
        }
        var files = new List<string>();
        var labels = new List<int>();
        foreach (var (file, cls) in items)
        {
            files.Add(file);
            labels.Add(index[cls]);
        }
        return new BenchmarkImageSet(files.AsReadOnly(), labels.AsReadOnly(), index.Keys.ToArray());
    }
}
