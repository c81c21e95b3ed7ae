using System.Globalization;
using DeepMetric.Tensors;
using DeepMetric.Tensors.IO;

namespace DeepMetric;

/// <summary>
/// A complete training state in one safetensors file: tensors (model and loss parameters and buffers, optimizer
/// state buffers, the best model kept so far) plus string metadata (optimizer and scheduler scalars, sampler
/// position, generator states, epoch and iteration, early-stopping state and the metrics history as JSON).
/// Created by <see cref="Trainer.CreateCheckpoint"/> and consumed by <see cref="Trainer.Resume(Checkpoint)"/>.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>The value of the <c>format</c> metadata entry of checkpoints written by this version.</summary>
    public const string FormatVersion = "deepmetric-checkpoint-1";

    /// <summary>Creates a checkpoint from its parts.</summary>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">The metadata; must hold <c>format</c> = <see cref="FormatVersion"/>.</param>
    /// <exception cref="ArgumentException">The metadata has no or another format entry.</exception>
    public Checkpoint(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue("format", out string? format) || format != FormatVersion)
        {
            throw new ArgumentException($"The metadata must hold format = '{FormatVersion}' (found '{format ?? "nothing"}').", nameof(metadata));
        }
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The tensors by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>The metadata entries.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Completed epochs when the checkpoint was taken.</summary>
    public int Epoch => int.Parse(Metadata["epoch"], NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Writes the checkpoint atomically (a temporary file renamed over <paramref name="path"/>).</summary>
    /// <param name="path">Destination file.</param>
    public void Save(string path) => Safetensors.Save(path, Tensors, Metadata);

    /// <summary>Reads a checkpoint written by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">The file is truncated or corrupt.</exception>
    /// <exception cref="InvalidDataException">The file is a safetensors file but not a DeepMetric checkpoint of this format.</exception>
    public static Checkpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The checkpoint '{path}' does not exist.", path);
        }
        var data = Safetensors.Load(path);
        if (!data.Metadata.TryGetValue("format", out string? format))
        {
            throw new InvalidDataException($"'{path}' is a safetensors file but not a DeepMetric checkpoint (no 'format' metadata; model weights are loaded with Module.Load).");
        }
        if (format != FormatVersion)
        {
            throw new InvalidDataException($"'{path}' has checkpoint format '{format}', but this version reads '{FormatVersion}'.");
        }
        return new Checkpoint(data.Tensors, data.Metadata);
    }
}
