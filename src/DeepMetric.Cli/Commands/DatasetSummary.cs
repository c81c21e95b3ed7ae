using System.Globalization;
using DeepMetric.Data;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary>Renders data sets as tables; shared by the commands that show data.</summary>
internal static class DatasetSummary
{
    /// <summary>A table with one row per class and one count column per named data set, plus a total row.</summary>
    internal static Table ClassCounts(IReadOnlyList<string> classNames, params (string Name, IDataset Data)[] columns)
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
                int count = Counts(data)[c];
                row.Add(count == 0 ? "-" : Format(count));
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
    internal static string Describe(IDataset data)
    {
        int present = 0, first = -1;
        bool equal = true;
        foreach (var count in Counts(data))
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

    /// <summary>Mean and standard deviation of all pixels (evaluation reads), accumulated in double.</summary>
    internal static (double Mean, double Std) PixelStatistics(IDataset data)
    {
        double sum = 0, sumSq = 0;
        int size = 0;
        for (int i = 0; i < data.Count; i++)
        {
            // Per-image float sums are short (784 values); the long sum over images is in double.
            var image = data.Batch([i], BatchRequest.Evaluation).ReadOnlySpan;
            size = image.Length;
            sum += System.Numerics.Tensors.TensorPrimitives.Sum(image);
            sumSq += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(image);
        }
        long n = (long)data.Count * size;
        if (n == 0)
        {
            return (0, 0);
        }
        double mean = sum / n;
        return (mean, Math.Sqrt(Math.Max(0, (sumSq / n) - (mean * mean))));
    }

    /// <summary>Items per class, indexed by label (zero for classes with no item here).</summary>
    internal static int[] Counts(IDataset data)
    {
        var counts = new int[data.ClassNames.Count];
        foreach (int label in data.Labels)
        {
            counts[label]++;
        }
        return counts;
    }

    /// <summary>Classes with at least one item.</summary>
    internal static int PresentClasses(IDataset data) => Counts(data).Count(c => c > 0);

    /// <summary>An item's shape as the model metadata records it: [C, H, W] as is, a feature vector [D] as 1×1×D.</summary>
    internal static (int Channels, int Height, int Width) Shape(IDataset data)
    {
        var shape = data.ItemShape;
        return shape.Length switch
        {
            3 => (shape[0], shape[1], shape[2]),
            1 => (1, 1, shape[0]),
            _ => throw new InvalidDataException($"Items of shape [{string.Join(", ", shape.ToArray())}] are neither images [C, H, W] nor feature vectors [D]."),
        };
    }

    private static string Format(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
