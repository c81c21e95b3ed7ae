using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Tensors;
using DeepMetric.Training;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric eval</c>: loads saved weights (the <c>model.safetensors</c> of a <c>train --run-dir</c>) and reports
/// retrieval and clustering metrics on the test images of the data (default: the shipped glyph set; or any <c>--data</c>),
/// beside the untrained network and the raw pixels. Queries are ranked among a reference set: by default the queries
/// themselves, each query excluded (In-Shop: its gallery); <c>--query</c> and <c>--reference</c> choose other sets.
/// </summary>
internal static class EvalCommand
{
    internal const string OpenSet = "open-set";
    internal const string Seen = "seen";

    internal const string QuerySet = "query";
    internal const string GallerySet = "gallery";
    internal const string TestSet = "test";
    internal const string TrainSet = "train";

    private static readonly int[] s_ks = [1, 2, 4, 8];

    internal static Command Create(CliContext context)
    {
        var weights = new Option<FileInfo>("--weights")
        {
            Description = "Saved weights (model.safetensors of a 'train --run-dir' run)",
            HelpName = "file",
            Required = true,
        };
        var model = new Option<string?>("--model") { Description = "Network of the weights: 'mlp', 'cnn', 'resnet' or 'pixel-residual' (default: read from the file, else config.json beside it)", HelpName = "name" };
        model.AcceptOnlyFromAmong(ModelLoader.Mlp, ModelLoader.Cnn, ModelLoader.ResNet, ModelLoader.PixelResidual);
        var embeddingSize = new Option<int?>("--embedding-size") { Description = "Embedding dimension (default: read from the file)", HelpName = "n" };
        var split = new Option<string>("--split")
        {
            Description = "Test images: 'open-set' (unseen classes 5-9; other --data: the test set) or 'seen' (test images of training classes 0-4; other --data: the training set)",
            DefaultValueFactory = _ => OpenSet,
            HelpName = "name",
        };
        split.AcceptOnlyFromAmong(OpenSet, Seen);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the untrained baseline's initialisation and of k-means", DefaultValueFactory = _ => 0UL, HelpName = "n" };
        var json = new Option<bool>("--json") { Description = "Print only one JSON line with the metrics" };
        var disentanglement = new Option<bool>("--disentanglement")
        {
            Description = "Also report modularity and explicitness (Ridgeway & Mozer 2018) of each embedding, with the class as the known factor",
        };
        var query = new Option<string?>("--query")
        {
            Description = "Query images: 'test' (default; see --split) or 'train' (the training images)",
            HelpName = "set",
        };
        query.AcceptOnlyFromAmong(TestSet, TrainSet);
        var reference = new Option<string?>("--reference")
        {
            Description = "Images the queries are ranked against: 'query' (the queries themselves, each query excluded; the default), 'gallery' (In-Shop's gallery; its default), 'test' or 'train'",
            HelpName = "set",
        };
        reference.AcceptOnlyFromAmong(QuerySet, GallerySet, TestSet, TrainSet);
        var dataSource = new DataSourceOptions(context.Options);

        var command = new Command("eval", "Evaluate saved weights on the test images of the data (default: the shipped glyph set; see --data), beside the untrained network and the raw pixels.")
        {
            weights, model, embeddingSize, split, query, reference, seed, json, disentanglement,
        };
        dataSource.AddTo(command);
        command.SetAction(parseResult => Run(context, parseResult, dataSource,
            parseResult.GetValue(weights)!.FullName,
            parseResult.GetValue(model),
            parseResult.GetValue(embeddingSize),
            parseResult.GetValue(split) ?? OpenSet,
            parseResult.GetValue(query),
            parseResult.GetValue(reference),
            parseResult.GetValue(seed),
            parseResult.GetValue(json),
            parseResult.GetValue(disentanglement)));
        return command;
    }

    private static int Run(CliContext context, ParseResult parseResult, DataSourceOptions dataSource, string weightsPath, string? modelName, int? embeddingSize, string splitName, string? queryName, string? referenceName, ulong seed, bool json, bool disentanglement)
    {
        if (embeddingSize is <= 0)
        {
            throw new UsageException($"--embedding-size must be positive, got {embeddingSize}.");
        }
        var loaded = ModelLoader.Load(weightsPath, modelName, embeddingSize);
        var trained = loaded.Model;
        string kind = loaded.Kind;
        int size = loaded.EmbeddingSize;

        var data = dataSource.Load(parseResult, loaded);
        if (queryName is not null && splitName == Seen)
        {
            throw new UsageException("--split seen and --query both choose the queries; give one.");
        }
        var test = queryName == TrainSet ? data.Train
            : splitName != Seen ? data.Test : data.FashionMnist is { } all ? all.SeenClassesSplit().Test : data.Train;
        var sets = Sets(data, test, queryName ?? (splitName == Seen ? Seen : TestSet), referenceName);
        var untrained = kind == Onnx.Backbones.Backbone.ModelKind
            ? Onnx.Backbones.Backbone.WithInitialHead(trained, seed)   // the pretrained backbone with an untrained head
            : ModelLoader.Create(kind, size, loaded.InputChannels, loaded.InputHeight, loaded.InputWidth, seed);

        int[]? superClasses = data.FashionMnist is not null ? SamplerOptions.FashionMnistSuperClasses : null;
        long t0 = Stopwatch.GetTimestamp();
        var embeddings = trained.Embed(test);
        var trainedResult = Evaluate(sets, embeddings, sets.References is { } r1 ? trained.Embed(r1) : null, seed, disentanglement, superClasses);
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var untrainedResult = Evaluate(sets, untrained.Embed(test), sets.References is { } r2 ? untrained.Embed(r2) : null, seed, disentanglement, superClasses);
        var rawResult = Evaluate(sets, Baselines.RawPixels(test), sets.References is { } r3 ? Baselines.RawPixels(r3) : null, seed, disentanglement, superClasses);

        if (json)
        {
            context.Output.WriteLine(Json(kind, size, splitName, sets, seconds, trainedResult, untrainedResult, rawResult));
            return CliApp.Success;
        }
        string classes = queryName == TrainSet ? $"{data.TrainClasses} (the training images)"
            : splitName != Seen ? data.TestClasses : data.FashionMnist is not null ? "seen classes 0-4" : $"{data.TrainClasses} (the training images)";
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{weightsPath}: {kind}, embedding {size}; {test.Count:N0} test images of the {classes} from {(data.Location is { } location ? DatasetSummary.Describe(location) : data.Description)}"));
        context.Output.WriteLine($"protocol: {sets.Describe()}{(sets.LeaveOneOut ? "" : $" ({ReferenceLabel(referenceName, data)})")}");
        context.Console.Write(Table(classes, trainedResult, untrainedResult, rawResult));
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"embedding and evaluation in {seconds:F2} s"));
        return CliApp.Success;
    }

    // The reference set: the queries themselves unless --reference (or the data's gallery) says otherwise.
    private static QueryReferenceSets Sets(DataSplit data, IDataset queries, string queryName, string? referenceName)
    {
        IDataset? reference = referenceName switch
        {
            null => queryName == TestSet ? data.Reference : null,
            QuerySet => null,
            GallerySet => data.Reference ?? throw new UsageException($"--reference gallery applies to data with a separate gallery (--data inshop); --data {data.Source} has none (use 'query', 'test' or 'train')."),
            TestSet => data.Test,
            _ => data.Train,
        };
        if (reference is not null && !ReferenceEquals(reference, queries) && !reference.ClassNames.SequenceEqual(queries.ClassNames))
        {
            int common = reference.ClassNames.Intersect(queries.ClassNames, StringComparer.Ordinal).Count();
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--reference {referenceName ?? GallerySet}: the reference images do not number their classes as the queries do ({reference.ClassNames.Count} and {queries.ClassNames.Count} classes, {common} of them in common), so their labels cannot be compared; use a reference set of the same classes (e.g. --protocol closed-set --reference train)."));
        }
        return new QueryReferenceSets(queries, reference);
    }

    private static string ReferenceLabel(string? referenceName, DataSplit data) => referenceName switch
    {
        null or GallerySet => "the gallery",
        TestSet => $"the test images, {data.TestClasses}",
        _ => $"the training images, {data.TrainClasses}",
    };

    private static Scores Evaluate(QueryReferenceSets sets, Tensor embeddings, Tensor? referenceEmbeddings, ulong seed, bool disentanglement, int[]? superClasses)
    {
        var test = sets.Queries;
        var retrieval = sets.Compute(embeddings, referenceEmbeddings, s_ks);
        var clusters = ClusteringMetrics.Compute(embeddings, test.Labels, seed);
        if (!disentanglement)
        {
            return new Scores(retrieval, clusters);
        }
        // Known factors: the class, and for Fashion-MNIST also its garment group (tops, bottoms, dresses, footwear,
        // bags); modularity needs at least two factors, explicitness one.
        var labels = test.Labels.ToArray();
        int factorCount = superClasses is null ? 1 : 2;
        var factors = new int[labels.Length * factorCount];
        var classes = labels.Distinct().Order().ToArray();
        for (int i = 0; i < labels.Length; i++)
        {
            factors[i * factorCount] = Array.BinarySearch(classes, labels[i]);
            if (superClasses is not null)
            {
                factors[(i * factorCount) + 1] = superClasses[labels[i]];
            }
        }
        var values = embeddings.ReadOnlySpan;
        int dim = embeddings.Dim(1);
        return new Scores(retrieval, clusters,
            factorCount >= 2 ? Disentanglement.Modularity(values, dim, factors, factorCount) : double.NaN,
            Disentanglement.Explicitness(values, dim, factors, factorCount))
        {
            Disentangled = true,
        };
    }

    /// <summary>The metrics of one embedding; disentanglement scores are NaN when not asked for.</summary>
    private sealed record Scores(Metrics R, ClusteringScores C, double Modularity = double.NaN, double Explicitness = double.NaN)
    {
        /// <summary>Whether the disentanglement scores were asked for (modularity stays NaN with a single factor).</summary>
        public bool Disentangled { get; init; }
    }

    private static Table Table(string title, Scores trained, Scores untrained, Scores raw)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        table.AddColumn("metric");
        table.AddColumn(new TableColumn("raw pixels").RightAligned());
        table.AddColumn(new TableColumn("untrained").RightAligned());
        table.AddColumn(new TableColumn("trained").RightAligned());
        void Row(string name, Func<Scores, double> value) =>
            table.AddRow(name, F(value(raw)), F(value(untrained)), F(value(trained)));
        foreach (var (name, value) in Rows(trained.Disentangled))
        {
            Row(name, value);
        }
        return table;
    }

    private static IEnumerable<(string Name, Func<Scores, double> Value)> Rows(bool withDisentanglement)
    {
        yield return ("P@1", m => m.R.PrecisionAt1);
        foreach (int k in s_ks)
        {
            yield return ($"R@{k}", m => m.R.Recall(k));
        }
        yield return ("R-Precision", m => m.R.RPrecision);
        yield return ("MAP@R", m => m.R.MapAtR);
        yield return ("MAP", m => m.R.Map);
        yield return ("MRR", m => m.R.Mrr);
        yield return ("NMI", m => m.C.Nmi);
        yield return ("AMI", m => m.C.Ami);
        if (withDisentanglement)
        {
            yield return ("modularity", m => m.Modularity);
            yield return ("explicitness", m => m.Explicitness);
        }
    }

    private static string JsonKey(string name) => name switch
    {
        "P@1" => "precision_at_1",
        "R-Precision" => "r_precision",
        "MAP@R" => "map_at_r",
        _ when name.StartsWith("R@", StringComparison.Ordinal) => "recall_at_" + name[2..],
        _ => name.ToLowerInvariant(),
    };

    private static string Json(string kind, int size, string split, QueryReferenceSets sets, double seconds,
        Scores trained, Scores untrained, Scores raw) =>
        CliJson.Object(w =>
        {
            w.WriteString("model", kind);
            w.WriteNumber("embedding_size", size);
            w.WriteString("split", split);
            w.WriteNumber("images", sets.Queries.Count);
            w.WriteNumber("references", sets.ReferenceCount);
            w.WriteBoolean("ref_includes_query", sets.LeaveOneOut);
            w.WriteNumber("eval_seconds", CliJson.Round(seconds));
            foreach (var (prefix, m) in new[] { ("", trained), ("untrained_", untrained), ("raw_pixels_", raw) })
            {
                foreach (var (name, value) in Rows(trained.Disentangled))
                {
                    w.WriteNumber(prefix + JsonKey(name), CliJson.Round(value(m)));
                }
            }
        });

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
