using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;
using DeepMetric.Training.Recipes;

namespace DeepMetric.Onnx.Backbones;

/// <summary>
/// A pretrained ONNX backbone opened for a fixed input size: its <see cref="Trunk"/> takes images [N, 1 or 3, h, w] in
/// [0, 1] and returns features [N, <see cref="FeatureDimension"/>] (the pipeline's preprocessing, the imported graph,
/// then flattening). Batch norms of the imported graph always use their stored statistics.
/// </summary>
public sealed class Backbone
{
    /// <summary>Safetensors metadata value of <c>model</c> for a backbone with a head.</summary>
    public const string ModelKind = "backbone";

    /// <summary>Metadata key: the backbone's name or ONNX file.</summary>
    public const string BackboneKey = "backbone";

    /// <summary>Metadata key: the backbone's input side.</summary>
    public const string InputSizeKey = "backbone_input_size";

    /// <summary>Metadata key: how features are read from the graph (<see cref="BackboneFeatures.ToString"/>).</summary>
    public const string FeaturesKey = "backbone_features";

    private Backbone(string reference, BackboneInfo? info, OnnxModule graph, BackbonePreprocess preprocess, BackboneFeatures features, int featureDimension)
    {
        Reference = reference;
        Info = info;
        Graph = graph;
        Preprocess = preprocess;
        Features = features;
        FeatureDimension = featureDimension;
        Trunk = features.Flip
            ? new Sequential(new FlipAveraged(new Sequential(preprocess, graph)), new Flatten())
            : new Sequential(preprocess, graph, new Flatten());
    }

    /// <summary>How the features are read from the graph.</summary>
    public BackboneFeatures Features { get; }

    /// <summary>The built-in name or the ONNX file path it was opened from.</summary>
    public string Reference { get; }

    /// <summary>The built-in description, or null for a user's file.</summary>
    public BackboneInfo? Info { get; }

    /// <summary>The imported graph.</summary>
    public OnnxModule Graph { get; }

    /// <summary>The pixel conversion in front of it.</summary>
    public BackbonePreprocess Preprocess { get; }

    /// <summary>Preprocessing, graph and flattening: images in [0, 1] to features.</summary>
    public Sequential Trunk { get; }

    /// <summary>Length of a feature vector.</summary>
    public int FeatureDimension { get; }

    /// <summary>Input side.</summary>
    public int InputSize => Preprocess.Size;

    /// <summary>
    /// Opens a built-in backbone by name (<see cref="BuiltInBackbones"/>) or an ONNX file (taken to expect
    /// ImageNet-normalised RGB, <see cref="BackboneInputConvention.ImageNetRgb"/>).
    /// </summary>
    /// <param name="nameOrPath">A built-in name or an .onnx path.</param>
    /// <param name="inputSize">Square input side; null for the backbone's default (224 for files that do not fix it).</param>
    /// <param name="features">How features are read from the graph; null for its own output (<see cref="BackboneFeatures.Plain"/>).</param>
    /// <exception cref="ArgumentException">Unknown name, unusable input size, or a graph that does not run at that size; the message says why.</exception>
    /// <exception cref="FileNotFoundException">The files of a built-in backbone are not installed.</exception>
    /// <exception cref="OnnxImportException">The file is not an importable ONNX model.</exception>
    public static Backbone Open(string nameOrPath, int? inputSize = null, BackboneFeatures? features = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        features ??= BackboneFeatures.Plain;
        if (features.Stages is not (1 or 2))
        {
            throw new ArgumentException($"Backbone features read 1 or 2 stages; got {features.Stages}.", nameof(features));
        }
        var info = BuiltInBackbones.Find(nameOrPath);
        if (info is null && !File.Exists(nameOrPath))
        {
            throw new ArgumentException(
                $"'{nameOrPath}' is neither a built-in backbone ({string.Join(", ", BuiltInBackbones.All.Select(b => b.Name))}) nor an existing .onnx file.", nameof(nameOrPath));
        }
        if (info is not null)
        {
            int size = inputSize ?? info.DefaultInputSize;
            if (size < info.MinInputSize || size % info.SizeMultiple != 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{info.Name} takes {info.InputSizes}; got input size {size} (its explicit pads fit only multiples of {info.SizeMultiple})."), nameof(inputSize));
            }
            string graphPath = BuiltInBackbones.Locate(info) ?? throw NotInstalled(info, info.RelativePath);
            string prepPath = BuiltInBackbones.LocatePreprocess(info) ?? throw NotInstalled(info, info.PreprocessRelativePath!);
            // ResNet18.onnx ends with a fixed 7×7 AveragePool: global pooling at 224 px, a window that does not fit
            // smaller inputs. The same pooling at any size is GlobalAveragePool.
            var graph = size == 224 && features.IsPlain ? OnnxModule.FromFile(graphPath) : Rewritten(graphPath, features, globalFinalPool: true);
            var preprocess = BackbonePreprocess.FromMeanImageGraph(size, OnnxModule.FromFile(prepPath));
            return Create(info.Name, info, graph, preprocess, features);
        }
        var file = features.IsPlain ? OnnxModule.FromFile(nameOrPath) : Rewritten(nameOrPath, features, globalFinalPool: false);
        var declared = file.DeclaredInputShape;
        if (declared.Length != 4 || (declared[1] > 0 && declared[1] != 3))
        {
            throw new ArgumentException($"'{nameOrPath}' takes [{string.Join(", ", declared)}]; a backbone must take images [N, 3, H, W].", nameof(nameOrPath));
        }
        int side = inputSize ?? (declared[2] > 0 ? declared[2] : 224);
        return Create(Path.GetFullPath(nameOrPath), null, file, BackbonePreprocess.ImageNet(side), features);
    }

    private static OnnxModule Rewritten(string path, BackboneFeatures features, bool globalFinalPool)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxImportException($"Cannot read the ONNX file '{path}': {e.Message}", e);
        }
        Proto.ModelProto model;
        try
        {
            model = Proto.ModelProto.Parser.ParseFrom(bytes);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"'{path}' is not a valid ONNX model (truncated or not ONNX): {e.Message}", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0 || model.OpsetImport.Count == 0)
        {
            return Import.OnnxGraphLoader.Load(bytes, path);   // its own error for what is not an ONNX model
        }
        BackboneGraphRewriter.Rewrite(model, features, globalFinalPool, path);
        return Import.OnnxGraphLoader.Load(Google.Protobuf.MessageExtensions.ToByteArray(model), path);
    }

    private static FileNotFoundException NotInstalled(BackboneInfo info, string relative) => new(
        $"{info.Name}: '{relative}' was found in none of {string.Join(", ", BuiltInBackbones.SearchFolders(info))}; it ships in the NuGet package {info.PackageId} {info.PackageVersion} (restore the DeepMetric tool, or 'dotnet add package {info.PackageId} --version {info.PackageVersion}' to put it in the package cache).");

    // Runs one black image to learn the feature size and to fail early, with the reason, at sizes the graph cannot take.
    private static Backbone Create(string reference, BackboneInfo? info, OnnxModule graph, BackbonePreprocess preprocess, BackboneFeatures features)
    {
        graph.SetTrainable(false);
        graph.Eval();
        Tensor y;
        try
        {
            using (Tensor.NoGrad())
            {
                y = graph.Forward(preprocess.Forward(Tensor.Zeros(1, 3, preprocess.Size, preprocess.Size)));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException($"Backbone '{reference}' does not run at input size {preprocess.Size}: {e.Message}", e);
        }
        return new Backbone(reference, info, graph, preprocess, features, y.Size);
    }

    /// <summary>
    /// An embedding head Linear(features, <paramref name="embeddingSize"/>) → L2Normalize that starts from the backbone's
    /// own geometry: the identity when the sizes agree, else orthonormal random rows (a Johnson–Lindenstrauss style
    /// projection that keeps angles approximately); the bias subtracts the projected <paramref name="center"/> (e.g.
    /// the training classes' mean feature), so the initial embedding is the normalised centred feature.
    /// </summary>
    /// <param name="featureDimension">Input features.</param>
    /// <param name="embeddingSize">Embedding dimension.</param>
    /// <param name="center">Feature mean to subtract, or null.</param>
    /// <param name="seed">Seed of the random rows.</param>
    public static Sequential Head(int featureDimension, int embeddingSize, ReadOnlySpan<float> center, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingSize);
        if (!center.IsEmpty && center.Length != featureDimension)
        {
            throw new ArgumentException($"The centre has {center.Length} values; expected {featureDimension}.", nameof(center));
        }
        var linear = new Linear(featureDimension, embeddingSize, rng: new Prng(seed));
        var w = linear.Weight.Span;   // [out, in]
        w.Clear();
        if (embeddingSize == featureDimension)
        {
            for (int i = 0; i < embeddingSize; i++)
            {
                w[(i * featureDimension) + i] = 1f;
            }
        }
        else
        {
            OrthonormalRows(w, embeddingSize, featureDimension, new Prng(seed));
        }
        var b = linear.Bias!.Span;
        for (int o = 0; o < embeddingSize; o++)
        {
            double sum = 0;
            for (int i = 0; i < center.Length; i++)
            {
                sum += w[(o * featureDimension) + i] * (double)center[i];
            }
            b[o] = (float)-sum;
        }
        return new Sequential(linear, new L2Normalize());
    }

    // Random rows made orthonormal by Gram–Schmidt (rows beyond the input dimension stay random unit vectors).
    private static void OrthonormalRows(Span<float> w, int rows, int cols, Prng rng)
    {
        var g = Tensor.Rand(rng, [rows, cols], -1f, 1f).ToArray();
        var row = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                row[c] = g[(r * cols) + c];
            }
            for (int q = 0; q < Math.Min(r, cols); q++)
            {
                double dot = 0;
                for (int c = 0; c < cols; c++)
                {
                    dot += row[c] * w[(q * cols) + c];
                }
                for (int c = 0; c < cols; c++)
                {
                    row[c] -= dot * w[(q * cols) + c];
                }
            }
            double norm = Math.Sqrt(row.Sum(v => v * v));
            for (int c = 0; c < cols; c++)
            {
                w[(r * cols) + c] = (float)(row[c] / norm);
            }
        }
    }

    /// <summary>
    /// Backbone features of every item of <paramref name="data"/> (evaluation reads, no augmentation), computed once
    /// so a head can train on them at MLP speed.
    /// </summary>
    /// <param name="data">Images [1 or 3, h, w] in [0, 1].</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="progress">Receives the number of items done.</param>
    public FeatureDataset ExtractFeatures(IDataset data, int batchSize = 32, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int n = data.Count, dim = FeatureDimension;
        var features = new float[(long)n * dim];
        Trunk.Eval();
        using (Tensor.NoGrad())
        {
            for (int start = 0; start < n; start += batchSize)
            {
                int count = Math.Min(batchSize, n - start);
                var indices = new int[count];
                for (int i = 0; i < count; i++)
                {
                    indices[i] = start + i;
                }
                var batch = data.Batch(indices, BatchRequest.Evaluation);
                // The forward's activations go back to a pool after each batch and serve the next one (no fresh
                // large-object-heap arrays, page faults and clearing per batch).
                using (TensorScope.Enter())
                {
                    Trunk.Forward(batch).ReadOnlySpan.CopyTo(features.AsSpan(start * dim, count * dim));
                }
                progress?.Report(start + count);
            }
        }
        return new FeatureDataset(features, data.Labels, dim, data.ClassNames, DatasetIds(data));
    }

    private static IReadOnlyList<string>? DatasetIds(IDataset data) => data is FeatureDataset f ? f.Ids : null;

    /// <summary>
    /// Number of blocks fine-tuning counts in: residual units delimited by the graph's residual <c>Add</c> nodes (9 in
    /// the built-in ResNet-18, a CNTK export with 2, 2, 2 and 3 units per stage; the stem joins the first), or one per convolution or matrix product in a graph without residual
    /// connections.
    /// </summary>
    public int BlockCount => BackboneBlocks.Of(Graph).Count;

    /// <summary>
    /// Makes the parameters of the last <paramref name="blocks"/> blocks (<see cref="BlockCount"/>) trainable and every
    /// other imported parameter frozen. Batch-norm statistics stay as imported either way (they are buffers).
    /// </summary>
    /// <param name="blocks">Blocks to unfreeze, 0 to freeze the whole graph, at most <see cref="BlockCount"/>.</param>
    /// <returns>The parameters made trainable, in topological order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blocks"/> is negative or more than the graph has.</exception>
    public IReadOnlyList<Tensor> Unfreeze(int blocks)
    {
        var all = BackboneBlocks.Of(Graph);
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        if (blocks > all.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(blocks), blocks, $"The backbone '{Reference}' has {all.Count} blocks (residual units); cannot fine-tune the last {blocks}.");
        }
        Graph.SetTrainable(false);
        var trainable = all.Skip(all.Count - blocks).SelectMany(b => b).ToList();
        foreach (var p in trainable)
        {
            p.RequiresGrad = true;
        }
        return trainable;
    }

    /// <summary>The full model: this backbone's trunk with <paramref name="head"/> (parameters trunk.2.… and embedder.…).</summary>
    public EmbeddingModel WithHead(Module head) => new(Trunk, head);

    /// <summary>
    /// <paramref name="model"/>'s trunk under a fresh, uncentred <see cref="Head"/> of the same size: the baseline a
    /// trained backbone model is compared with.
    /// </summary>
    /// <exception cref="ArgumentException">The model's head does not start with a Linear layer.</exception>
    public static EmbeddingModel WithInitialHead(EmbeddingModel model, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var linear = (model.Embedder as Sequential)?.Children().OfType<Linear>().FirstOrDefault()
            ?? throw new ArgumentException("A backbone model's head starts with a Linear layer.", nameof(model));
        return new EmbeddingModel(model.Trunk, Head(linear.InFeatures, linear.OutFeatures, default, seed));
    }

    /// <summary>Safetensors metadata that lets <see cref="Load"/> rebuild the model.</summary>
    /// <param name="embeddingSize">Embedding dimension of the head.</param>
    /// <param name="channels">Channels of the images the model takes.</param>
    /// <param name="height">Their height.</param>
    /// <param name="width">Their width.</param>
    public Dictionary<string, string> Metadata(int embeddingSize, int channels, int height, int width)
    {
        var m = ModelLoader.Metadata(ModelKind, embeddingSize, channels, height, width);
        m[BackboneKey] = Reference;
        m[InputSizeKey] = InputSize.ToString(CultureInfo.InvariantCulture);
        if (!Features.IsPlain || Features.Flip)
        {
            m[FeaturesKey] = Features.ToString();
        }
        return m;
    }

    /// <summary>
    /// Rebuilds a backbone model saved with <see cref="Metadata"/>: reopens the backbone (built-in name or file), puts a
    /// head of the saved size on it and loads every saved tensor (fine-tuned backbone weights included).
    /// </summary>
    /// <returns>The model, or null when the metadata are not a backbone model's.</returns>
    /// <exception cref="InvalidDataException">The backbone cannot be opened or the weights do not fit it.</exception>
    public static LoadedModel? Load(string path, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(tensors);
        if (metadata.GetValueOrDefault("model") != ModelKind)
        {
            return null;
        }
        static int Int(IReadOnlyDictionary<string, string> m, string key, string path) =>
            int.TryParse(m.GetValueOrDefault(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0
                ? v
                : throw new InvalidDataException($"'{path}' is a backbone model without a valid '{key}' in its metadata.");
        string reference = metadata.GetValueOrDefault(BackboneKey) ?? throw new InvalidDataException($"'{path}' is a backbone model without '{BackboneKey}' metadata.");
        int size = Int(metadata, InputSizeKey, path), embedding = Int(metadata, "embedding_size", path);
        try
        {
            var backbone = Open(reference, size, metadata.TryGetValue(FeaturesKey, out var f) ? BackboneFeatures.Parse(f) : null);
            var model = backbone.WithHead(Head(backbone.FeatureDimension, embedding, default, 0));
            model.LoadStateDict(tensors);
            return new LoadedModel(model, ModelKind, embedding, Normalized: true, path)
            {
                InputChannels = Int(metadata, ModelLoader.InputChannelsKey, path),
                InputHeight = Int(metadata, ModelLoader.InputHeightKey, path),
                InputWidth = Int(metadata, ModelLoader.InputWidthKey, path),
            };
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or OnnxImportException or FormatException)
        {
            throw new InvalidDataException($"'{path}': cannot rebuild its backbone '{reference}': {e.Message}", e);
        }
    }
}
