using System.CommandLine;
using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Search;
using DeepMetric.Training;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// Embeddings with ids and labels for <c>calibrate</c> and <c>dedup</c>: read from an embedding store
/// (<c>--store</c>), or computed by a trained model (<c>--weights</c>, as written by <c>train --run-dir</c>) over a
/// Fashion-MNIST split or a folder of the user's images (<c>--images</c>).
/// </summary>
/// <param name="Ids">One id per row (<c>split/00042</c> for dataset rows).</param>
/// <param name="Vectors">Row-major vectors.</param>
/// <param name="Dimension">Values per vector.</param>
/// <param name="Labels">One label per row (−1 when unknown).</param>
/// <param name="Metric">How the vectors are compared.</param>
/// <param name="ModelPath">The model file (weights or store) next to which the threshold file lives.</param>
/// <param name="Model">Model description for the threshold file.</param>
internal sealed record LabelledEmbeddings(string[] Ids, float[] Vectors, int Dimension, int[] Labels, VectorMetric Metric, string ModelPath, string Model)
{
    internal const string Train = "train";
    internal const string Test = "test";

    /// <summary>The options that select the input; add them with <see cref="AddTo"/>.</summary>
    internal sealed class Options
    {
        public Option<FileInfo?> Store { get; } = new("--store") { Description = "Embedding store file (vectors, ids, labels, metric)", HelpName = "file" };

        public Option<FileInfo?> Weights { get; } = new("--weights")
        {
            Description = "Trained model (model.safetensors from 'train --run-dir'); embeds the Fashion-MNIST --split",
            HelpName = "file",
        };

        public Option<string> Split { get; } = CreateSplit();

        public Option<string> Metric { get; } = CreateMetric();

        public Option<DirectoryInfo?> Images { get; } = new("--images")
        {
            Description = "With --weights: embed the image files in this folder instead of Fashion-MNIST (files directly in it are unlabelled; else its class sub-folders label them)",
            HelpName = "dir",
        };

        public Option<double?> ResizeRatio { get; } = DataSourceOptions.ResizeRatioOption();

        public Option<string?> Normalize { get; } = DataSourceOptions.NormalizeOption();

        public void AddTo(Command command)
        {
            command.Add(Store);
            command.Add(Weights);
            command.Add(Split);
            command.Add(Metric);
            command.Add(Images);
            command.Add(ResizeRatio);
            command.Add(Normalize);
        }

        private static Option<string> CreateSplit()
        {
            var o = new Option<string>("--split") { Description = "With --weights: which Fashion-MNIST split to embed (all ten classes)", DefaultValueFactory = _ => Test, HelpName = "name" };
            o.AcceptOnlyFromAmong(Test, Train);
            return o;
        }

        private static Option<string> CreateMetric()
        {
            var o = new Option<string>("--metric") { Description = "With --weights: distance 'l2', 'cosine' or 'ip' (a store carries its own)", DefaultValueFactory = _ => "l2", HelpName = "name" };
            o.AcceptOnlyFromAmong("l2", "cosine", "ip");
            return o;
        }
    }

    internal static LabelledEmbeddings Load(CliContext context, ParseResult parseResult, Options options)
    {
        var store = parseResult.GetValue(options.Store);
        var weights = parseResult.GetValue(options.Weights);
        if ((store is null) == (weights is null))
        {
            throw new UsageException("Give exactly one input: --store FILE or --weights FILE.");
        }
        if (store is not null)
        {
            if (parseResult.GetResult(options.Metric) is { Implicit: false })
            {
                throw new UsageException("--metric applies to --weights only; a store is compared with its own metric.");
            }
            if (parseResult.GetResult(options.Images) is { Implicit: false })
            {
                throw new UsageException("--images applies to --weights (the model that embeds them), not to a store.");
            }
            using var s = EmbeddingStore.Open(store.FullName, verifyChecksum: true);
            return new LabelledEmbeddings(s.GetIds(), s.Vectors.ToArray(), s.Dimension, s.Labels.ToArray(), s.Metadata.Metric, store.FullName,
                string.IsNullOrEmpty(s.Metadata.Model) ? store.FullName : s.Metadata.Model);
        }
        var metric = parseResult.GetValue(options.Metric) switch
        {
            "cosine" => VectorMetric.Cosine,
            "ip" => VectorMetric.InnerProduct,
            _ => VectorMetric.L2,
        };
        if (parseResult.GetValue(options.Images) is { } images)
        {
            if (parseResult.GetResult(options.Split) is { Implicit: false })
            {
                throw new UsageException("--split picks a Fashion-MNIST split; with --images the folder is the data.");
            }
            var loaded = ModelLoader.Load(weights!.FullName);
            var (folder, folderIds, labelled) = ImageInputs.Open(images.FullName, loaded, parseResult.GetValue(options.ResizeRatio), parseResult.GetValue(options.Normalize));
            var vectors = loaded.Model.Embed(folder);
            int[] folderLabels = labelled ? folder.Labels.ToArray() : Enumerable.Repeat(-1, folder.Count).ToArray();
            return new LabelledEmbeddings(folderIds, vectors.ReadOnlySpan.ToArray(), vectors.Dim(1), folderLabels, metric, weights.FullName, weights.FullName);
        }
        if (parseResult.GetResult(options.ResizeRatio) is { Implicit: false } || parseResult.GetResult(options.Normalize) is { Implicit: false })
        {
            throw new UsageException("--resize-ratio and --normalize apply to --images only.");
        }
        string split = parseResult.GetValue(options.Split) ?? Test;
        var model = ModelLoader.Load(weights!.FullName).Model;
        var all = FashionMnist.Load(context.Options.LocateData(parseResult));
        var data = split == Train ? all.Train : all.Test;
        var embeddings = model.Embed(data);
        var ids = new string[data.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = string.Create(CultureInfo.InvariantCulture, $"{split}/{i:D5}");
        }
        return new LabelledEmbeddings(ids, embeddings.ReadOnlySpan.ToArray(), embeddings.Dim(1), data.Labels.ToArray(), metric, weights.FullName, weights.FullName);
    }
}
