using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using DeepMetric.Tensors;
using DeepMetric.Tensors.IO;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Training;

/// <summary>
/// A complete training state in one safetensors file: tensors (model and loss parameters and buffers, optimizer
/// state buffers, the best model kept so far) plus string metadata (optimizer and scheduler scalars, sampler
/// position, generator states, epoch and iteration, early-stopping state and the metrics history as JSON).
/// Created by <see cref="Trainer.CreateCheckpoint"/> and consumed by <see cref="Trainer.Resume(Checkpoint)"/>.
/// The file also holds an XXH3-64 checksum of every tensor (name, shape, values) and metadata entry, so a file
/// changed after it was written (a flipped bit on disk, a partial copy) is refused on reading rather than resumed.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>The value of the <c>format</c> metadata entry of checkpoints written by this version (2: with <see cref="ChecksumKey"/>).</summary>
    public const string FormatVersion = "deepmetric-checkpoint-2";

    /// <summary>The metadata entry of the file that holds the checksum (16 hex digits); not part of <see cref="Metadata"/>.</summary>
    public const string ChecksumKey = "checksum.xxh3";

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
        if (metadata.ContainsKey(ChecksumKey))
        {
            throw new ArgumentException($"The metadata must not hold '{ChecksumKey}'; it is computed when the checkpoint is saved.", nameof(metadata));
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

    /// <summary>Writes the checkpoint with its checksum atomically (a temporary file renamed over <paramref name="path"/>).</summary>
    /// <param name="path">Destination file.</param>
    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>(Metadata, StringComparer.Ordinal)
        {
            [ChecksumKey] = Checksum(Tensors, Metadata).ToString("x16", CultureInfo.InvariantCulture),
        };
        Safetensors.Save(path, Tensors, metadata);
    }

    /// <summary>Reads a checkpoint written by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">The file is truncated or its structure is corrupt.</exception>
    /// <exception cref="InvalidDataException">The file is a safetensors file but not a DeepMetric checkpoint of this format, or its content does not match its checksum.</exception>
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
        var metadata = new Dictionary<string, string>(data.Metadata, StringComparer.Ordinal);
        if (!metadata.Remove(ChecksumKey, out string? stored))
        {
            throw new InvalidDataException($"'{path}' has no '{ChecksumKey}' entry, so its content cannot be verified; it was not written by Checkpoint.Save.");
        }
        string actual = Checksum(data.Tensors, metadata).ToString("x16", CultureInfo.InvariantCulture);
        if (!string.Equals(stored, actual, StringComparison.Ordinal))
        {
            throw new InvalidDataException(
                $"'{path}' is corrupt: its content does not match the checksum written with it ({ChecksumKey} {stored}, content {actual}). Resume from another checkpoint (e.g. {RunDirectory.BestCheckpointFile}) or start again.");
        }
        return new Checkpoint(data.Tensors, metadata);
    }

    // XXH3-64 over the tensors and then the metadata, each in ordinal name order: name, rank, shape and the values'
    // little-endian bytes; key and value, each UTF-8 with a length prefix so that no two contents hash the same stream.
    private static ulong Checksum(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var hash = new XxHash3();
        var word = new byte[8];
        void Int(long v)
        {
            BinaryPrimitives.WriteInt64LittleEndian(word, v);
            hash.Append(word);
        }
        void Text(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            Int(bytes.Length);
            hash.Append(bytes);
        }
        foreach (var name in tensors.Keys.Order(StringComparer.Ordinal))
        {
            var t = tensors[name];
            Text(name);
            Int(t.Rank);
            foreach (int d in t.Shape)
            {
                Int(d);
            }
            var values = t.ReadOnlySpan;
            if (BitConverter.IsLittleEndian)
            {
                hash.Append(MemoryMarshal.AsBytes(values));
            }
            else
            {
                foreach (float v in values)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(word, v);
                    hash.Append(word.AsSpan(0, 4));
                }
            }
        }
        foreach (var key in metadata.Keys.Order(StringComparer.Ordinal))
        {
            Text(key);
            Text(metadata[key]);
        }
        return hash.GetCurrentHashAsUInt64();
    }
}
