using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.FewShot;
using DeepMetric.Training;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric fewshot</c>: N-way K-shot episodes on the classes unseen in training (the glyph set's test characters,
/// or Fashion-MNIST test classes 5-9),
/// nearest-prototype and kNN accuracy ± 95 % interval with the learned embedding and with raw pixels (no training).
/// </summary>
internal static class FewShotCommand
{
    internal static Command Create(CliContext context)
    {
        var weights = new Option<FileInfo>("--weights") { Description = "Saved weights (model.safetensors of a 'train --run-dir' run)", HelpName = "file", Required = true };
        var model = new Option<string?>("--model") { Description = "Network of the weights: 'mlp', 'cnn', 'resnet' or 'pixel-residual' (default: from the file or config.json)", HelpName = "name" };
        model.AcceptOnlyFromAmong(ModelLoader.Mlp, ModelLoader.Cnn, ModelLoader.ResNet, ModelLoader.PixelResidual);
        var embeddingSize = new Option<int?>("--embedding-size") { Description = "Embedding dimension (default: from the file or config.json)", HelpName = "n" };
        var ways = new Option<int>("--ways") { Description = "Classes per episode (N)", DefaultValueFactory = _ => 5, HelpName = "n" };
        var shots = new Option<string>("--shots") { Description = "Support images per class (K), comma-separated for several settings", DefaultValueFactory = _ => "1,5", HelpName = "list" };
        var queries = new Option<int?>("--queries") { Description = "Query images per class and episode (Q; default 15, fewer when the classes are smaller: the glyph sets have 12 images a class)", HelpName = "n" };
        var episodes = new Option<int>("--episodes") { Description = "Episodes per setting", DefaultValueFactory = _ => 600, HelpName = "n" };
        var knnK = new Option<int>("--knn-k") { Description = "Neighbours voting in the kNN classifier", DefaultValueFactory = _ => 1, HelpName = "n" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the episode draw (the same episodes for the embedding and the pixels)", DefaultValueFactory = _ => 0UL, HelpName = "n" };
        var json = new Option<bool>("--json") { Description = "Print one JSON line with every accuracy" };
        var dataSource = new DataSourceOptions(context.Options);

        var command = new Command("fewshot", "N-way K-shot accuracy on the classes unseen in training (default: the glyph set's test characters): learned embedding vs raw pixels, with 95% intervals.")
        {
            weights, model, embeddingSize, ways, shots, queries, episodes, knnK, seed, json,
        };
        dataSource.AddTo(command);
        command.SetAction(parseResult => Run(context, parseResult, dataSource, new Settings(
            parseResult.GetValue(weights)!.FullName,
            parseResult.GetValue(model),
            parseResult.GetValue(embeddingSize),
            parseResult.GetValue(ways),
            ParseShots(parseResult.GetValue(shots) ?? "1,5"),
            parseResult.GetValue(queries),
            parseResult.GetValue(episodes),
            parseResult.GetValue(knnK),
            parseResult.GetValue(seed),
            parseResult.GetValue(json))));
        return command;
    }

    private static int[] ParseShots(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var shots = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out shots[i]) || shots[i] <= 0)
            {
                throw new UsageException($"--shots must be a comma-separated list of positive integers, got '{text}'.");
            }
        }
        return shots.Length > 0 ? shots : throw new UsageException("--shots must name at least one shot count.");
    }

    private static int Run(CliContext context, ParseResult parseResult, DataSourceOptions dataSource, Settings s)
    {
        if (s.Ways < 2 || s.Queries is < 1 || s.Episodes < 1 || s.KnnK < 1 || s.EmbeddingSize is <= 0)
        {
            throw new UsageException($"--ways must be at least 2 and --queries, --episodes, --knn-k and --embedding-size positive (got {s.Ways}, {s.Queries}, {s.Episodes}, {s.KnnK}, {s.EmbeddingSize}).");
        }
        var loaded = ModelLoader.Load(s.WeightsPath, s.Model, s.EmbeddingSize);
        // Classes never seen in training: the open-set half of the test split (5-9 for Fashion-MNIST).
        var data = dataSource.Load(parseResult, loaded);
        var unseen = data.Test;
        int queries = s.Queries ?? DefaultQueries(unseen, s.Shots.Max());
        s = s with { Queries = queries };

        long t0 = Stopwatch.GetTimestamp();
        var embedded = loaded.Model.Embed(unseen).ReadOnlySpan.ToArray();
        var raw = Baselines.RawPixels(unseen);
        var pixels = raw.ReadOnlySpan.ToArray();
        var results = new List<Row>();
        foreach (int shots in s.Shots)
        {
            EpisodeSampler sampler;
            try
            {
                sampler = new EpisodeSampler(unseen.Labels, s.Ways, shots, queries, s.Seed);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new UsageException(e.Message.Split(" (Parameter", 2)[0], e);
            }
            var episodes = sampler.Sample(s.Episodes);
            foreach (var method in new[] { FewShotMethod.Prototype, FewShotMethod.Knn })
            {
                results.Add(new Row(shots, method,
                    FewShotEvaluator.Evaluate(embedded, loaded.EmbeddingSize, episodes, method, s.KnnK),
                    FewShotEvaluator.Evaluate(pixels, raw.Dim(1), episodes, method, s.KnnK)));
            }
        }
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;

        if (s.Json)
        {
            context.Output.WriteLine(Json(s, loaded, unseen.Count, results));
            return CliApp.Success;
        }
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{loaded.WeightsPath}: {loaded.Kind}, embedding {loaded.EmbeddingSize}; {unseen.Count:N0} test images of the {data.TestClasses} from {(data.Location is { } location ? DatasetSummary.Describe(location) : data.Description)}"));
        var table = new Table().Border(TableBorder.Rounded).Title(string.Create(CultureInfo.InvariantCulture,
            $"{s.Ways}-way, {s.Queries} queries/class, {s.Episodes} episodes (mean ± 95% CI)"));
        table.AddColumn("shots");
        table.AddColumn("classifier");
        table.AddColumn(new TableColumn("learned").RightAligned());
        table.AddColumn(new TableColumn("raw pixels").RightAligned());
        foreach (var r in results)
        {
            table.AddRow(r.Shots.ToString(CultureInfo.InvariantCulture), MethodName(r.Method, s.KnnK), Format(r.Learned), Format(r.Raw));
        }
        context.Console.Write(table);
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"embedding and {results.Count / 2 * s.Episodes:N0} episodes in {seconds:F2} s"));
        return CliApp.Success;
    }

    // 15 queries (the usual protocol), or as many as the smallest class leaves beside the largest support set.
    private static int DefaultQueries(IDataset data, int maxShots)
    {
        var counts = new Dictionary<int, int>();
        foreach (int label in data.Labels)
        {
            counts[label] = counts.GetValueOrDefault(label) + 1;
        }
        int smallest = counts.Count == 0 ? 0 : counts.Values.Min();
        return Math.Clamp(smallest - maxShots, 1, 15);
    }

    private static string MethodName(FewShotMethod method, int k) =>
        method == FewShotMethod.Prototype ? "prototype" : string.Create(CultureInfo.InvariantCulture, $"{k}-NN");

    private static string Format(AccuracyInterval a) =>
        string.Create(CultureInfo.InvariantCulture, $"{100 * a.Mean:F2} ± {100 * a.HalfWidth95:F2} %");

    private static string Json(Settings s, LoadedModel loaded, int images, List<Row> rows) =>
        CliJson.Object(w =>
        {
            w.WriteString("model", loaded.Kind);
            w.WriteNumber("embedding_size", loaded.EmbeddingSize);
            w.WriteNumber("ways", s.Ways);
            w.WriteNumber("queries", s.Queries ?? 0);
            w.WriteNumber("episodes", s.Episodes);
            w.WriteNumber("knn_k", s.KnnK);
            w.WriteNumber("seed", s.Seed);
            w.WriteNumber("images", images);
            w.WriteStartArray("results");
            foreach (var r in rows)
            {
                w.WriteStartObject();
                w.WriteNumber("shots", r.Shots);
                w.WriteString("classifier", r.Method == FewShotMethod.Prototype ? "prototype" : "knn");
                w.WriteNumber("accuracy", Math.Round(r.Learned.Mean, 6));
                w.WriteNumber("ci95", Math.Round(r.Learned.HalfWidth95, 6));
                w.WriteNumber("raw_accuracy", Math.Round(r.Raw.Mean, 6));
                w.WriteNumber("raw_ci95", Math.Round(r.Raw.HalfWidth95, 6));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });

    private sealed record Settings(string WeightsPath, string? Model, int? EmbeddingSize, int Ways, int[] Shots, int? Queries, int Episodes, int KnnK, ulong Seed, bool Json);

    private sealed record Row(int Shots, FewShotMethod Method, AccuracyInterval Learned, AccuracyInterval Raw);
}
