using System.Diagnostics;
using System.Globalization;
using System.Text;
using DeepMetric.Data;

namespace DeepMetric.Benchmarks.Data;

/// <summary>
/// CSV feature reading, before (<see cref="HandCsvFeatureReader"/>, String.Split) and after (<see cref="CsvFeatureReader"/>
/// on Sep), on the same file: 20,000 rows × 128 floats + an integer label (DEEPMETRIC_BENCH_CSV_ROWS, _DIM to change),
/// written once to the temp folder. One warm-up each, then 7 interleaved repeats (before, after, before, …) so drift on
/// a shared machine hits both alike; min and median seconds of each, and the ratio of the medians. Both results are
/// compared value by value first.
/// </summary>
public static class CsvQuick
{
    /// <summary>Runs the measurement.</summary>
    public static IEnumerable<BenchRecord> Run()
    {
        int rows = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_CSV_ROWS"), out int r) ? r : 20_000;
        int dim = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_CSV_DIM"), out int d) ? d : 128;
        string path = Path.Combine(Path.GetTempPath(), $"deepmetric-bench-{rows}x{dim}.csv");
        Write(path, rows, dim);
        yield return new BenchRecord("csv/rows", rows, "rows");
        yield return new BenchRecord("csv/columns", dim + 1, "columns");
        yield return new BenchRecord("csv/file", new FileInfo(path).Length / 1e6, "MB");

        var before = HandCsvFeatureReader.Read(path);
        var after = CsvFeatureReader.Read(path);
        if (!before.Features.SequenceEqual(after.Features) || !before.Labels.SequenceEqual(after.Labels))
        {
            throw new InvalidOperationException("csv: the two readers disagree.");
        }
        const int repeats = 7;
        var times = new[] { new List<double>(), new List<double>() };
        for (int i = 0; i < repeats; i++)
        {
            times[0].Add(Time(() => HandCsvFeatureReader.Read(path)));
            times[1].Add(Time(() => CsvFeatureReader.Read(path)));
        }
        string[] names = ["hand-split", "sep"];
        for (int k = 0; k < 2; k++)
        {
            times[k].Sort();
            yield return new BenchRecord($"csv/{names[k]}/min", times[k][0], "s");
            yield return new BenchRecord($"csv/{names[k]}/median", times[k][repeats / 2], "s");
        }
        yield return new BenchRecord("csv/speedup_median", times[0][repeats / 2] / times[1][repeats / 2], "x");
        yield return new BenchRecord("csv/speedup_min", times[0][0] / times[1][0], "x");
    }

    private static double Time(Func<FeatureDataset> read)
    {
        long t0 = Stopwatch.GetTimestamp();
        GC.KeepAlive(read());
        return Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private static void Write(string path, int rows, int dim)
    {
        if (File.Exists(path))
        {
            return;
        }
        var random = new Random(17);
        var line = new StringBuilder();
        using var writer = new StreamWriter(path + ".tmp", false, new UTF8Encoding(false));
        for (int i = 0; i < rows; i++)
        {
            line.Clear().Append((i % 100).ToString(CultureInfo.InvariantCulture));
            for (int j = 0; j < dim; j++)
            {
                // Embedding-like values: normal, printed round-trip (about 10 characters).
                double u = 1 - random.NextDouble(), v = random.NextDouble();
                float x = (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v) * 0.1);
                line.Append(',').Append(x.ToString(CultureInfo.InvariantCulture));
            }
            writer.WriteLine(line);
        }
        writer.Close();
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
