using System.Globalization;

namespace DeepMetric.Data.Benchmarks;

/// <summary>Line-oriented reading of the benchmarks' annotation files, with errors that name the file and line.</summary>
internal static class BenchmarkText
{
    /// <summary>The non-blank lines of <paramref name="path"/>, split on white space (or commas when <paramref name="csv"/>), with 1-based line numbers.</summary>
    internal static IEnumerable<(int Line, string[] Fields)> Rows(string path, bool csv = false)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Benchmark annotation file '{path}' does not exist.", path);
        }
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            yield return (number, csv
                ? line.Split(',', StringSplitOptions.TrimEntries)
                : line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }
    }

    internal static int Int(string path, int line, string text, string what) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw Bad(path, line, $"{what} should be an integer, got '{text}'");

    internal static InvalidDataException Bad(string path, int line, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{path}, line {line}: {what}."));

    /// <summary>The absolute path of <paramref name="relative"/> under <paramref name="root"/>; it must exist.</summary>
    internal static string Image(string root, string relative, string annotation, int line)
    {
        string path = Path.GetFullPath(Path.Combine(root, relative.Replace('\\', '/')));
        return File.Exists(path) ? path : throw new FileNotFoundException(
            string.Create(CultureInfo.InvariantCulture, $"{annotation}, line {line}: image '{path}' does not exist."), path);
    }

    /// <summary>The first of <paramref name="candidates"/> (relative to <paramref name="root"/>) that exists.</summary>
    internal static string Find(string root, string what, params string[] candidates)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"{what}: directory '{root}' does not exist.");
        }
        foreach (var c in candidates)
        {
            string path = Path.Combine(root, c);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException($"{what}: '{root}' holds none of {string.Join(", ", candidates)}.");
    }
}
