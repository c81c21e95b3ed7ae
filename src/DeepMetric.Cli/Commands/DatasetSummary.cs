using System.Globalization;
using DeepMetric.Data;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary>Renders data sets as tables; shared by the commands that show data.</summary>
internal static class DatasetSummary
{
    /// <summary>A table with one row per class and one count column per named data set, plus a total row.</summary>
    internal static Table ClassCounts(IReadOnlyList<string> classNames, params (string Name, ImageDataset Data)[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(new TableColumn("label").RightAligned());
        table.AddColumn("class");
        foreach (var (name, _) in columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned());
        }

        for (int c = 0; c < classNames.Count; c++)
        {
            var row = new List<string> { Format(c), classNames[c] };
            foreach (var (_, data) in columns)
            {
                row.Add(data.ClassCounts[c] == 0 ? "-" : Format(data.ClassCounts[c]));
            }
            table.AddRow(row.Select(s => new Text(s)).ToArray());
        }

        var total = new List<string> { "", "total" };
        foreach (var (_, data) in columns)
        {
            total.Add(Format(data.Count));
        }
        table.AddRow(total.Select(s => new Text(s, new Style(decoration: Decoration.Bold))).ToArray());
        return table;
    }

    /// <summary>"6,000 images (600 per class)" or, when classes differ in size, "6,000 images in 10 classes".</summary>
    internal static string Describe(ImageDataset data)
    {
        int present = 0, first = -1;
        bool equal = true;
        foreach (var count in data.ClassCounts)
        {
            if (count == 0)
            {
                continue;
            }
            present++;
            equal &= first < 0 || count == first;
            first = first < 0 ? count : first;
        }
        return equal && present > 0
            ? $"{Format(data.Count)} images ({Format(first)} per class × {present})"
            : $"{Format(data.Count)} images in {present} classes";
    }

    /// <summary>Where the data came from, for people.</summary>
    internal static string Describe(DatasetLocation location) => location.Origin switch
    {
        DatasetOrigin.Explicit => $"{location.Directory} (--data-dir)",
        DatasetOrigin.EnvironmentVariable => $"{location.Directory} (${FashionMnist.EnvironmentVariable})",
        DatasetOrigin.System => $"{location.Directory} (system copy)",
        DatasetOrigin.ShippedSubset => $"{location.Directory} (shipped subset)",
        _ => location.Directory,
    };

    /// <summary>Mean and standard deviation of all pixels, accumulated in double.</summary>
    internal static (double Mean, double Std) PixelStatistics(ImageDataset data)
    {
        double sum = 0, sumSq = 0;
        for (int i = 0; i < data.Count; i++)
        {
            // Per-image float sums are short (784 values); the long sum over images is in double.
            var image = data.Image(i);
            sum += System.Numerics.Tensors.TensorPrimitives.Sum(image);
            sumSq += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(image);
        }
        long n = data.Pixels.Length;
        if (n == 0)
        {
            return (0, 0);
        }
        double mean = sum / n;
        return (mean, Math.Sqrt(Math.Max(0, (sumSq / n) - (mean * mean))));
    }

    private static string Format(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
