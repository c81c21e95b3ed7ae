using System.Globalization;
using System.Text.Json;
using DeepMetric.Tensors.IO;

namespace DeepMetric.Training;

/// <summary>
/// Loads the weights a training run saved (<c>model.safetensors</c> of <c>deepmetric train --run-dir</c>) into the
/// matching reference network of <see cref="Models"/>.
/// </summary>
/// <remarks>
/// The architecture and embedding size are taken, in this order, from the arguments, the safetensors metadata
/// (<c>model</c>, <c>embedding_size</c>), the <c>config.json</c> beside the weights, and finally the shape of the last
/// linear layer (<c>embedder.0.weight</c>). The input shape (<c>input_channels</c>, <c>input_height</c>,
/// <c>input_width</c>) comes from the metadata, then config.json, then the tensor shapes (an MLP's first layer gives
/// its input size, seen as 1×1×n unless it is 784 = 1×28×28; a CNN's first convolution gives the channels and its
/// dense layer a square input), and defaults to 1×28×28. Loading is strict: every tensor name and shape must match.
/// </remarks>
public static class ModelLoader
{
    /// <summary>The MLP architecture name (<see cref="Models.Mlp"/>).</summary>
    public const string Mlp = "mlp";

    /// <summary>The CNN architecture name (<see cref="Models.Cnn"/>).</summary>
    public const string Cnn = "cnn";

    /// <summary>The residual CNN architecture name (<see cref="Models.ResNet"/>, default width).</summary>
    public const string ResNet = "resnet";

    /// <summary>The pixel-residual architecture name (<see cref="Models.PixelResidual"/>, default hidden width).</summary>
    public const string PixelResidual = "pixel-residual";

    private const string ProjectionMatrix = "trunk.shortcut.2.matrix";

    private static readonly Lock s_loadersLock = new();
    private static Func<string, IReadOnlyDictionary<string, string>, IReadOnlyDictionary<string, Tensors.Tensor>, LoadedModel?>[] s_loaders = [];

    /// <summary>
    /// Registers a loader of architectures defined outside this assembly (such as ONNX backbones with a head): given the
    /// file's path, metadata and tensors it returns the model, or null for files that are not its own. Tried in order
    /// before the built-in architectures when no kind is given. Registering the same delegate twice has no effect.
    /// </summary>
    public static void RegisterLoader(Func<string, IReadOnlyDictionary<string, string>, IReadOnlyDictionary<string, Tensors.Tensor>, LoadedModel?> loader)
    {
        ArgumentNullException.ThrowIfNull(loader);
        lock (s_loadersLock)
        {
            if (!s_loaders.Contains(loader))
            {
                s_loaders = [.. s_loaders, loader];
            }
        }
    }

    /// <summary>The file name <c>train --run-dir</c> gives the weights.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>Metadata and config.json key of the input channels.</summary>
    public const string InputChannelsKey = "input_channels";

    /// <summary>Metadata and config.json key of the input height.</summary>
    public const string InputHeightKey = "input_height";

    /// <summary>Metadata and config.json key of the input width.</summary>
    public const string InputWidthKey = "input_width";

    private const string EmbedderWeight = "embedder.0.weight";
    private const string MlpFirstWeight = "trunk.1.weight";
    private const string CnnFirstWeight = "trunk.0.weight";
    private const string CnnDenseWeight = "trunk.7.weight";

    /// <summary>
    /// A freshly initialised reference network of <paramref name="kind"/> for inputs of
    /// <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/> values (an MLP sees them flattened).
    /// </summary>
    /// <param name="kind"><see cref="Mlp"/> or <see cref="Cnn"/>.</param>
    /// <param name="embeddingSize">Embedding dimension.</param>
    /// <param name="channels">Input channels.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <param name="seed">Seed of the weight initialisation.</param>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is unknown, or the CNN input is smaller than 4×4 (e.g. feature vectors).</exception>
    public static EmbeddingModel Create(string kind, int embeddingSize, int channels = 1, int height = 28, int width = 28, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        return kind switch
        {
            Mlp => Models.Mlp(embeddingSize, seed: seed, inputSize: checked(channels * height * width)),
            Cnn when height >= 4 && width >= 4 => Models.Cnn(embeddingSize, seed: seed, channels: channels, height: height, width: width),
            Cnn => throw new ArgumentException($"The CNN needs images of at least 4×4 pixels, got {channels}×{height}×{width} inputs (use the MLP for feature vectors).", nameof(kind)),
            ResNet when height >= 4 && width >= 4 => Models.ResNet(embeddingSize, seed: seed, channels: channels, height: height),
            ResNet => throw new ArgumentException($"The ResNet needs images of at least 4×4 pixels, got {channels}×{height}×{width} inputs.", nameof(kind)),
            PixelResidual => Models.PixelResidual(embeddingSize, seed: seed, inputSize: checked(channels * height * width)),
            _ => throw new ArgumentException($"Unknown model kind '{kind}'; expected '{Mlp}', '{Cnn}', '{ResNet}' or '{PixelResidual}'.", nameof(kind)),
        };
    }

    /// <summary>The safetensors metadata <see cref="Load"/> reads back: kind, embedding size and input shape.</summary>
    public static Dictionary<string, string> Metadata(string kind, int embeddingSize, int channels, int height, int width) => new(StringComparer.Ordinal)
    {
        ["model"] = kind,
        ["embedding_size"] = embeddingSize.ToString(CultureInfo.InvariantCulture),
        [InputChannelsKey] = channels.ToString(CultureInfo.InvariantCulture),
        [InputHeightKey] = height.ToString(CultureInfo.InvariantCulture),
        [InputWidthKey] = width.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Loads <paramref name="weightsPath"/> (a safetensors file, or a run directory holding <see cref="WeightsFileName"/>).</summary>
    /// <param name="weightsPath">The weights file or run directory.</param>
    /// <param name="kind"><c>"mlp"</c>, <c>"cnn"</c>, <c>"resnet"</c> or <c>"pixel-residual"</c>; null to read it from the file or config.json.</param>
    /// <param name="embeddingSize">The embedding dimension; null to read it from the file, config.json or the tensor shapes.</param>
    /// <exception cref="FileNotFoundException">There are no weights at <paramref name="weightsPath"/>.</exception>
    /// <exception cref="InvalidDataException">The architecture cannot be determined, or the weights do not fit it.</exception>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not a known architecture, or <paramref name="embeddingSize"/> is not positive.</exception>
    public static LoadedModel Load(string weightsPath, string? kind = null, int? embeddingSize = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        if (kind is not null && Known(kind) is null)
        {
            throw new ArgumentException($"Unknown model kind '{kind}'; expected '{Mlp}', '{Cnn}', '{ResNet}' or '{PixelResidual}'.", nameof(kind));
        }
        if (embeddingSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(embeddingSize), embeddingSize, "The embedding size must be positive.");
        }
        string path = Directory.Exists(weightsPath) ? Path.Combine(weightsPath, WeightsFileName) : weightsPath;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Weights file '{path}' not found (train with --run-dir to write {WeightsFileName}).", path);
        }
        var saved = Safetensors.Load(path);
        if (kind is null)
        {
            foreach (var loader in Volatile.Read(ref s_loaders))
            {
                if (loader(path, saved.Metadata, saved.Tensors) is { } external)
                {
                    return external;
                }
            }
        }
        var config = ReadConfig(path);
        string resolvedKind = kind
            ?? Known(saved.Metadata.GetValueOrDefault("model"))
            ?? Known(config?.Kind)
            ?? (saved.Tensors.ContainsKey(ProjectionMatrix) ? PixelResidual : null)
            ?? (saved.Tensors.Keys.Any(k => k.StartsWith("trunk.", StringComparison.Ordinal) && k.Contains(".body.", StringComparison.Ordinal)) ? ResNet : null)
            ?? (saved.Tensors.Keys.Any(k => k.StartsWith("trunk.0.", StringComparison.Ordinal) && saved.Tensors[k].Rank == 4) ? Cnn : null)
            ?? (saved.Tensors.ContainsKey("trunk.1.weight") ? Mlp : null)
            ?? throw new InvalidDataException($"'{path}' does not say which network it holds (no 'model' metadata, no config.json beside it); pass the model kind.");
        int size = embeddingSize
            ?? ParseSize(saved.Metadata.GetValueOrDefault("embedding_size"))
            ?? config?.EmbeddingSize
            ?? (saved.Tensors.TryGetValue(EmbedderWeight, out var w) && w.Rank == 2 ? w.Dim(0) : (int?)null)
            ?? (saved.Tensors.TryGetValue(ProjectionMatrix, out var r) && r.Rank == 2 ? r.Dim(1) : (int?)null)
            ?? throw new InvalidDataException($"'{path}' does not say its embedding size; pass it explicitly.");
        var (channels, height, width) = InputShape(saved.Metadata, config?.Input)
            ?? InferInputShape(resolvedKind, saved.Tensors)
            ?? (1, 28, 28);
        EmbeddingModel model;
        try
        {
            model = resolvedKind == Mlp && saved.Tensors.TryGetValue(MlpFirstWeight, out var first) && first.Rank == 2
                // The hidden width is not stored anywhere else.
                ? Models.Mlp(size, inputSize: checked(channels * height * width), hidden: first.Dim(0))
                : Create(resolvedKind, size, channels, height, width);
            model.LoadStateDict(saved.Tensors);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(
                $"The weights in '{path}' do not fit a {resolvedKind} with embedding size {size} and {channels}×{height}×{width} inputs: {e.Message}", e);
        }
        return new LoadedModel(model, resolvedKind, size, Normalized: true, path) { InputChannels = channels, InputHeight = height, InputWidth = width };
    }

    private static (int C, int H, int W)? InputShape(IReadOnlyDictionary<string, string> metadata, (int C, int H, int W)? config)
    {
        int? c = ParseSize(metadata.GetValueOrDefault(InputChannelsKey));
        int? h = ParseSize(metadata.GetValueOrDefault(InputHeightKey));
        int? w = ParseSize(metadata.GetValueOrDefault(InputWidthKey));
        return c is int cc && h is int hh && w is int ww ? (cc, hh, ww) : config;
    }

    // Older runs saved no input shape: recover what the tensor shapes allow.
    private static (int C, int H, int W)? InferInputShape(string kind, IReadOnlyDictionary<string, Tensors.Tensor> tensors)
    {
        if (kind == Mlp)
        {
            return tensors.TryGetValue(MlpFirstWeight, out var w) && w.Rank == 2 && w.Dim(1) != 784 ? (1, 1, w.Dim(1)) : null;
        }
        if (!tensors.TryGetValue(CnnFirstWeight, out var conv) || conv.Rank != 4)
        {
            return null;
        }
        int channels = conv.Dim(1);
        int side = 7;
        if (tensors.TryGetValue(CnnDenseWeight, out var dense) && dense.Rank == 2 && dense.Dim(1) % 64 == 0)
        {
            // The dense layer sees 64·(h/4)·(w/4) values; assume a square input.
            int cells = dense.Dim(1) / 64;
            int root = (int)Math.Round(Math.Sqrt(cells));
            side = root * root == cells ? root : side;
        }
        return (channels, side * 4, side * 4);
    }

    private static int? PositiveInt(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v > 0 ? v : null;

    private static string? Known(string? kind) => kind is Mlp or Cnn or ResNet or PixelResidual ? kind : null;

    private static int? ParseSize(string? text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : null;

    private static (string? Kind, int? EmbeddingSize, (int C, int H, int W)? Input)? ReadConfig(string weightsPath)
    {
        var configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath)) ?? ".", RunDirectory.ConfigFile);
        if (!File.Exists(configPath))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            var root = doc.RootElement;
            string? kind = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            int? size = PositiveInt(root, "embedding_size");
            (int, int, int)? input = PositiveInt(root, InputChannelsKey) is int c && PositiveInt(root, InputHeightKey) is int h && PositiveInt(root, InputWidthKey) is int w
                ? (c, h, w)
                : null;
            return (kind, size, input);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{configPath}' is not valid JSON: {e.Message}", e);
        }
    }
}
