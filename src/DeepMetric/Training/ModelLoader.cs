using System.Globalization;
using System.Text.Json;
using DeepMetric.Tensors.IO;

namespace DeepMetric;

/// <summary>
/// Loads the weights a training run saved (<c>model.safetensors</c> of <c>deepmetric train --run-dir</c>) into the
/// matching reference network of <see cref="Models"/>.
/// </summary>
/// <remarks>
/// The architecture and embedding size are taken, in this order, from the arguments, the safetensors metadata
/// (<c>model</c>, <c>embedding_size</c>), the <c>config.json</c> beside the weights, and finally the shape of the last
/// linear layer (<c>embedder.0.weight</c>). Loading is strict: every tensor name and shape must match.
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

    /// <summary>The file name <c>train --run-dir</c> gives the weights.</summary>
    public const string WeightsFileName = "model.safetensors";

    private const string EmbedderWeight = "embedder.0.weight";

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
        var model = resolvedKind switch
        {
            Cnn => Models.Cnn(size),
            ResNet => Models.ResNet(size),
            PixelResidual => Models.PixelResidual(size),
            _ => Models.Mlp(size),
        };
        try
        {
            model.LoadStateDict(saved.Tensors);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The weights in '{path}' do not fit a {resolvedKind} with embedding size {size}: {e.Message}", e);
        }
        return new LoadedModel(model, resolvedKind, size, Normalized: true, path);
    }

    private static string? Known(string? kind) => kind is Mlp or Cnn or ResNet or PixelResidual ? kind : null;

    private static int? ParseSize(string? text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : null;

    private static (string? Kind, int? EmbeddingSize)? ReadConfig(string weightsPath)
    {
        var configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath)) ?? ".", "config.json");
        if (!File.Exists(configPath))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            var root = doc.RootElement;
            string? kind = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            int? size = root.TryGetProperty("embedding_size", out var s) && s.TryGetInt32(out int v) && v > 0 ? v : null;
            return (kind, size);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{configPath}' is not valid JSON: {e.Message}", e);
        }
    }
}
