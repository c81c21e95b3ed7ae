using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Search;
using DeepMetric.Training;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric embed</c>: runs saved weights over a split of the data (default: the shipped glyph set) and writes an embedding store
/// (ids <c>train/000123</c> or <c>test/000123</c> — the image's index in its IDX file — labels, and metadata).
/// </summary>
internal static class EmbedCommand
{
    internal const string Train = "train";
    internal const string Test = "test";
    internal const string OpenSetTest = "open-set-test";
    internal const string Gallery = "gallery";

    internal static Command Create(CliContext context)
    {
        var weights = new Option<FileInfo>("--weights") { Description = "Saved weights (model.safetensors of a 'train --run-dir' run)", HelpName = "file" };
        var backbone = new Option<FileInfo?>("--backbone") { Description = "An ONNX graph to run as it is on --data X.npy (preprocessed [N, C, H, W]); writes .npy", HelpName = "file.onnx" };
        var model = new Option<string?>("--model") { Description = "Network of the weights: 'mlp', 'cnn', 'resnet' or 'pixel-residual' (default: from the file or config.json)", HelpName = "name" };
        model.AcceptOnlyFromAmong(ModelLoader.Mlp, ModelLoader.Cnn, ModelLoader.ResNet, ModelLoader.PixelResidual);
        var embeddingSize = new Option<int?>("--embedding-size") { Description = "Embedding dimension (default: from the file or config.json)", HelpName = "n" };
        var split = new Option<string>("--split")
        {
            Description = "Images: 'train', 'test' or 'open-set-test' (test images of the unseen classes 5-9); other --data: the training set, or the test set for both others; 'gallery': In-Shop's gallery images (the test set's queries are 'test')",
            DefaultValueFactory = _ => Test,
            HelpName = "name",
        };
        split.AcceptOnlyFromAmong(Train, Test, OpenSetTest, Gallery);
        var metric = MetricOption();
        var output = new Option<FileInfo>("--output", "-o") { Description = "Embedding store to write (.dme)", HelpName = "file", Required = true };
        var dataSource = new DataSourceOptions(context.Options, allowTensorFile: true);

        var command = new Command("embed", "Run saved weights over a split of the data (default: the shipped glyph set; see --data) and write an embedding store.")
        {
            weights, backbone, model, embeddingSize, split, metric, output,
        };
        dataSource.AddTo(command);
        command.SetAction(parseResult => RawEmbedding.Applies(parseResult.GetValue(dataSource.Data), parseResult.GetValue(backbone)?.FullName)
            ? RawEmbedding.Run(context, parseResult.GetValue(backbone)?.FullName, parseResult.GetValue(weights)?.FullName, parseResult.GetValue(model),
                parseResult.GetValue(embeddingSize), parseResult.GetValue(dataSource.Data), parseResult.GetValue(output)!.FullName)
            : Run(context, parseResult, dataSource,
            (parseResult.GetValue(weights) ?? throw new UsageException("embed needs --weights (or --backbone FILE.onnx with --data X.npy).")).FullName,
            parseResult.GetValue(model),
            parseResult.GetValue(embeddingSize),
            parseResult.GetValue(split) ?? Test,
            ParseMetric(parseResult.GetValue(metric)),
            parseResult.GetValue(output)!.FullName));
        return command;
    }

    /// <summary><c>--metric</c>: the distance recorded in a store and used by indexes built from it.</summary>
    internal static Option<string> MetricOption()
    {
        var metric = new Option<string>("--metric") { Description = "Distance to search with: 'l2', 'cosine' or 'inner-product'", DefaultValueFactory = _ => "l2", HelpName = "name" };
        metric.AcceptOnlyFromAmong("l2", "cosine", "inner-product");
        return metric;
    }

    internal static VectorMetric ParseMetric(string? name) => name switch
    {
        "cosine" => VectorMetric.Cosine,
        "inner-product" => VectorMetric.InnerProduct,
        _ => VectorMetric.L2,
    };

    private static int Run(CliContext context, ParseResult parseResult, DataSourceOptions dataSource, string weightsPath, string? modelName, int? embeddingSize, string split, VectorMetric metric, string outputPath)
    {
        if (embeddingSize is <= 0)
        {
            throw new UsageException($"--embedding-size must be positive, got {embeddingSize}.");
        }
        var loaded = ModelLoader.Load(weightsPath, modelName, embeddingSize);
        var source = dataSource.Load(parseResult, loaded);
        var (data, ids) = split == Gallery
            ? (source.Reference ?? throw new UsageException($"--split gallery applies to data with a separate gallery (--data inshop); --data {source.Source} has none."), source.ReferenceIds!)
            : source.FashionMnist is { } all ? LoadItems(all, split)
            : split == Train ? (source.Train, source.TrainIds) : (source.Test, source.TestIds);

        long t0 = Stopwatch.GetTimestamp();
        var metadata = new EmbeddingMetadata(loaded.WeightsPath, metric, loaded.Normalized ? "l2" : "none")
        {
            Properties = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["model_kind"] = loaded.Kind,
                ["embedding_size"] = loaded.EmbeddingSize.ToString(CultureInfo.InvariantCulture),
                ["data_dir"] = source.Location?.Directory ?? string.Join(";", source.Paths),
                ["data"] = source.Source,
                ["split"] = split,
            },
        };
        int dimension = ModelEmbedding.WriteStore(outputPath, loaded.Model, data, ids, metadata);
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{outputPath}: {data.Count:N0} × {dimension} embeddings of the {split} split ({loaded.Kind}, metric {metric}) in {seconds:F2} s"));
        return CliApp.Success;
    }

    // The Fashion-MNIST images to embed and their ids (other sources carry their own ids: image folders' relative paths).
    private static (IDataset Data, string[] Ids) LoadItems(TrainTestSplit all, string split)
    {
        var source = split == Train ? all.Train : all.Test;
        string prefix = split == Train ? Train : Test;
        var rows = new List<int>(source.Count);
        var labels = source.Labels;
        for (int i = 0; i < source.Count; i++)
        {
            // Open set: the classes never seen in training (the upper half, 5-9 for Fashion-MNIST).
            if (split != OpenSetTest || labels[i] >= source.ClassNames.Count / 2)
            {
                rows.Add(i);
            }
        }
        var ids = new string[rows.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = string.Create(CultureInfo.InvariantCulture, $"{prefix}/{rows[i]:D6}");
        }
        var data = rows.Count == source.Count ? source : source.Subset(rows.ToArray());
        return (data, ids);
    }
}
