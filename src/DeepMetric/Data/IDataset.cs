using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Data;

/// <summary>
/// The one contract between data and everything that reads it: the trainer, embedding, validation splits,
/// evaluation and the report. A dataset has a count, a label per item, class names and the shape of one item as the
/// model sees it; it hands out batches of items by index. Implementations decide where items live: in memory
/// (<see cref="ImageDataset"/>, <see cref="FeatureDataset"/>), or decoded on demand from files with a transform.
/// Nothing that reads a dataset knows its modality.
/// </summary>
/// <remarks>
/// Determinism: <see cref="Batch"/> must be a pure function of the indices and the <see cref="BatchRequest"/>
/// (random augmentation keyed by its seed, <see cref="BatchRequest.Step"/> and the slot in the batch), so a batch can
/// be prepared ahead on a worker thread and a resumed run reads exactly the batches an uninterrupted one reads.
/// Implementations must be safe to call from several threads at once.
/// </remarks>
public interface IDataset
{
    /// <summary>Number of items.</summary>
    int Count { get; }

    /// <summary>Label of each item, in [0, <see cref="ClassNames"/>.Count).</summary>
    ReadOnlySpan<int> Labels { get; }

    /// <summary>Class names indexed by label.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Shape of one item as the model receives it: [channels, height, width] for images, [dimension] for feature vectors.</summary>
    ReadOnlySpan<int> ItemShape { get; }

    /// <summary>
    /// Reads the items at <paramref name="indices"/> into one new tensor [indices.Length, ..<see cref="ItemShape"/>].
    /// With <see cref="BatchRequest.Augment"/> set, a dataset that has a training transform applies it; otherwise it
    /// applies its deterministic evaluation transform.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, <see cref="Count"/>).</exception>
    Tensor Batch(ReadOnlySpan<int> indices, BatchRequest request = default);

    /// <summary>The items at <paramref name="indices"/>, in that order, as a dataset of the same kind (labels and class names kept).</summary>
    IDataset Subset(ReadOnlySpan<int> indices);
}
