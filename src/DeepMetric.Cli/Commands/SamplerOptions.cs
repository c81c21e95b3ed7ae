using System.CommandLine;
using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Samplers;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>train --sampler</c> and its parameters: how the training batches are drawn. One instance per command.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>m-per-class</c> (default): <c>--batch-size</c> images, <c>--m-per-class</c> per class (<see cref="MPerClassSampler"/>).</item>
/// <item><c>pk</c>: strict P×K batches of distinct samples (<see cref="PkSampler"/>); P = <c>--p</c> (default batch size /
/// m), K = <c>--k</c> (default m). Chosen automatically for <c>--loss fstat</c>, whose per-class statistics need it.</item>
/// <item><c>shuffled</c>: plain shuffled batches of <c>--batch-size</c> (<see cref="ShuffledBatchSampler"/>).</item>
/// <item><c>hierarchical</c>: S super-classes × C classes × K samples (<see cref="HierarchicalSampler"/>); K = <c>--k</c>
/// (default m), C = 2 or fewer when a super-class of the training data has fewer classes, S = batch size / (C·K).
/// Super-classes come from <c>--super-labels FILE</c> (lines <c>class,super</c>; the class by name or label number;
/// '#' starts a comment) or, for Fashion-MNIST, the built-in grouping <see cref="FashionMnistSuperClasses"/>.</item>
/// </list>
/// </remarks>
internal sealed class SamplerOptions
{
    internal const string MPerClass = "m-per-class";
    internal const string Pk = "pk";
    internal const string Shuffled = "shuffled";
    internal const string Hierarchical = "hierarchical";

    /// <summary>
    /// Fashion-MNIST super-classes by label: tops {T-shirt 0, pullover 2, coat 4, shirt 6}, bottoms {trouser 1},
    /// dresses {dress 3}, footwear {sandal 5, sneaker 7, ankle boot 9}, bags {bag 8}.
    /// </summary>
    internal static readonly int[] FashionMnistSuperClasses = [0, 1, 0, 2, 0, 3, 0, 3, 4, 3];

    public Option<string?> Sampler { get; } = CreateSampler();

    public Option<int?> P { get; } = new("--p") { Description = "pk: classes per batch (default: --batch-size / --m-per-class)", HelpName = "n" };

    public Option<int?> K { get; } = new("--k") { Description = "pk, hierarchical: samples per class (default: --m-per-class)", HelpName = "n" };

    public Option<FileInfo?> SuperLabels { get; } = new("--super-labels")
    {
        Description = "hierarchical: 'class,super' lines (class by name or label; default for Fashion-MNIST: tops 0,2,4,6 / bottoms 1 / dresses 3 / footwear 5,7,9 / bags 8)",
        HelpName = "file",
    };

    public void AddTo(Command command)
    {
        command.Add(Sampler);
        command.Add(P);
        command.Add(K);
        command.Add(SuperLabels);
    }

    /// <summary>The sampler name: <c>--sampler</c> when given, else <c>pk</c> for the F-statistic loss, else m-per-class.</summary>
    internal static string ResolveName(string? sampler, string loss) => sampler ?? (loss == "fstat" ? Pk : MPerClass);

    /// <summary>Creates the sampler over <paramref name="data"/>'s training images and describes its batches.</summary>
    internal (BatchSampler Sampler, string Description) Create(ParseResult parseResult, DataSplit data, string loss, int batchSize, int m, ulong seed)
    {
        string name = ResolveName(parseResult.GetValue(Sampler), loss);
        int? p = parseResult.GetValue(P);
        int? k = parseResult.GetValue(K);
        if (p is <= 0 || k is <= 0)
        {
            throw new UsageException($"--p and --k must be positive, got {p} and {k}.");
        }
        if (p is not null && name != Pk)
        {
            throw new UsageException($"--p applies to --sampler pk only (the sampler is {name}).");
        }
        if (k is not null && name is not Pk and not Hierarchical)
        {
            throw new UsageException($"--k applies to --sampler pk or hierarchical only (the sampler is {name}).");
        }
        if (parseResult.GetValue(SuperLabels) is not null && name != Hierarchical)
        {
            throw new UsageException("--super-labels applies to --sampler hierarchical only.");
        }
        var train = data.Train;
        var labels = train.Labels;
        int classes = CountClasses(train);
        try
        {
            switch (name)
            {
                case Pk:
                {
                    int pp = p ?? batchSize / m, kk = k ?? m;
                    if (pp > classes)
                    {
                        throw new UsageException($"--sampler pk with P = {pp} classes per batch, but training has {classes} classes (set --p, or --batch-size/--m-per-class).");
                    }
                    var sampler = new PkSampler(labels, pp, kk, seed, allowRepeats: true);
                    return (sampler, Invariant($"{sampler.BatchSize} (pk: {pp} classes × {kk})"));
                }
                case Shuffled:
                    if (batchSize > train.Count)
                    {
                        throw new UsageException($"--batch-size {batchSize} exceeds the {train.Count} training images.");
                    }
                    return (new ShuffledBatchSampler(train.Count, batchSize, seed), Invariant($"{batchSize} (shuffled)"));
                case Hierarchical:
                    return CreateHierarchical(parseResult, data, batchSize, k ?? m, seed);
                default:
                    if (batchSize / m < 2)
                    {
                        // Every batch would hold one class: no negative pair, so pair and triplet miners find nothing.
                        throw new UsageException($"--batch-size {batchSize} with --m-per-class {m} puts one class in each batch, which leaves no negatives to learn from; use a batch of at least 2 classes (--batch-size {2 * m} or more, or a smaller --m-per-class).");
                    }
                    if (batchSize / m > classes)
                    {
                        throw new UsageException($"--batch-size {batchSize} with --m-per-class {m} needs {batchSize / m} classes per batch but training has {classes}.");
                    }
                    if (batchSize > train.Count)
                    {
                        throw new UsageException($"--batch-size {batchSize} exceeds the {train.Count} training images.");
                    }
                    return (new MPerClassSampler(labels, m, batchSize, seed), Invariant($"{batchSize} ({batchSize / m} classes × {m})"));
            }
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--sampler {name}: {e.Message.Split(" (Parameter", 2)[0]}", e);
        }
    }

    private (BatchSampler, string) CreateHierarchical(ParseResult parseResult, DataSplit data, int batchSize, int k, ulong seed)
    {
        var train = data.Train;
        int[] superOfClass = parseResult.GetValue(SuperLabels) is { } file
            ? ReadSuperLabels(file.FullName, train.ClassNames)
            : data.FashionMnist is not null ? FashionMnistSuperClasses
            : throw new UsageException("--sampler hierarchical needs --super-labels FILE ('class,super' lines); only Fashion-MNIST has a built-in grouping.");
        var labels = train.Labels;
        var superLabels = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            superLabels[i] = superOfClass[labels[i]];
        }
        // C: 2 sibling classes per super-class when every super-class of the training data has them, else fewer.
        var classesPerSuper = new Dictionary<int, int>();
        var counts = DatasetSummary.Counts(train);
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] > 0)
            {
                classesPerSuper[superOfClass[c]] = classesPerSuper.GetValueOrDefault(superOfClass[c]) + 1;
            }
        }
        int perSuper = Math.Min(2, classesPerSuper.Values.Min());
        int supers = batchSize / (perSuper * k);
        if (supers < 1 || supers > classesPerSuper.Count)
        {
            throw new UsageException(Invariant(
                $"--sampler hierarchical: --batch-size {batchSize} / ({perSuper} classes per super-class × K = {k}) gives {supers} super-classes per batch, but training has {classesPerSuper.Count} (use a --batch-size of at most {classesPerSuper.Count * perSuper * k})."));
        }
        var sampler = new HierarchicalSampler(labels, superLabels, supers, perSuper, k, seed);
        return (sampler, Invariant($"{sampler.BatchSize} (hierarchical: {supers} super-classes × {perSuper} classes × {k})"));
    }

    /// <summary>Reads a <c>--super-labels</c> file into the super-class of every class (numbered by first appearance).</summary>
    internal static int[] ReadSuperLabels(string path, IReadOnlyList<string> classNames)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Super-label file '{path}' does not exist.", path);
        }
        var superOfClass = new int[classNames.Count];
        Array.Fill(superOfClass, -1);
        var superIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            string line = raw.Split('#', 2)[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var cells = line.Split(',', StringSplitOptions.TrimEntries);
            if (cells.Length != 2 || cells[0].Length == 0 || cells[1].Length == 0)
            {
                throw new InvalidDataException($"Super-label file '{path}' line {lineNo}: expected 'class,super', got '{raw}'.");
            }
            int c = IndexOf(classNames, cells[0]);
            if (c < 0 && int.TryParse(cells[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n < classNames.Count)
            {
                c = n;
            }
            if (c < 0)
            {
                throw new InvalidDataException($"Super-label file '{path}' line {lineNo}: unknown class '{cells[0]}'.");
            }
            if (!superIds.TryGetValue(cells[1], out int s))
            {
                superIds[cells[1]] = s = superIds.Count;
            }
            superOfClass[c] = s;
        }
        int missing = Array.IndexOf(superOfClass, -1);
        if (missing >= 0)
        {
            throw new InvalidDataException($"Super-label file '{path}' gives no super-class for class '{classNames[missing]}'.");
        }
        return superOfClass;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    private static int CountClasses(IDataset data) => DatasetSummary.PresentClasses(data);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static Option<string?> CreateSampler()
    {
        var o = new Option<string?>("--sampler")
        {
            Description = "Batches: 'm-per-class' (default), 'pk' (strict P×K; default for --loss fstat), 'shuffled', 'hierarchical' (super-classes × classes × K)",
            HelpName = "name",
        };
        o.AcceptOnlyFromAmong(MPerClass, Pk, Shuffled, Hierarchical);
        return o;
    }
}
