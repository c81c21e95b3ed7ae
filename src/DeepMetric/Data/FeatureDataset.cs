using System.Collections.ObjectModel;
using System.Globalization;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Data;

/// <summary>
/// An immutable labelled set of feature vectors (e.g. precomputed embeddings) held in memory: values as float32 in
/// one row-major array of shape [<see cref="Count"/>, <see cref="Dimension"/>], integer labels in
/// [0, <see cref="ClassCount"/>), class names and optional per-row ids. Load one with <see cref="CsvFeatureReader"/>
/// or <see cref="NpyReader"/>. Items have shape [<see cref="Dimension"/>]: the trainer, embedding and evaluation read
/// them as [batch, D] tensors (an MLP trunk takes them as they are).
/// </summary>
public sealed class FeatureDataset : IDataset
{
    private readonly float[] _features;
    private readonly int[] _shape;
    private readonly int[] _labels;
    private readonly ReadOnlyCollection<string> _classNames;
    private readonly ReadOnlyCollection<string>? _ids;

    /// <summary>Creates a dataset from copies of the arrays.</summary>
    /// <param name="features">Row-major [n, dimension] values.</param>
    /// <param name="labels">One label per row, each in [0, classNames.Count).</param>
    /// <param name="dimension">Values per row (positive).</param>
    /// <param name="classNames">Class names indexed by label; null names them "0", "1", … up to the largest label.</param>
    /// <param name="ids">Optional id of each row (e.g. a file name); null when there are none.</param>
    /// <exception cref="ArgumentException">The sizes disagree, a label is out of range, or a name is null.</exception>
    public FeatureDataset(ReadOnlySpan<float> features, ReadOnlySpan<int> labels, int dimension,
        IReadOnlyList<string>? classNames = null, IReadOnlyList<string>? ids = null)
        : this(features.ToArray(), labels.ToArray(), dimension, classNames, ids, takeOwnership: true)
    {
    }

    // Takes ownership of the arrays when copy is false.
    internal FeatureDataset(float[] features, int[] labels, int dimension, IReadOnlyList<string>? classNames,
        IReadOnlyList<string>? ids, bool takeOwnership)
    {
        _ = takeOwnership;   // only selects this overload
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (features.LongLength != (long)labels.Length * dimension)
        {
            throw new ArgumentException(
                $"Expected {labels.Length} rows × {dimension} = {(long)labels.Length * dimension} feature values for {labels.Length} labels, got {features.Length}.",
                nameof(features));
        }
        int maxLabel = -1;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new ArgumentException($"labels[{i}] = {labels[i]} is negative; labels index the class names.", nameof(labels));
            }
            maxLabel = Math.Max(maxLabel, labels[i]);
        }
        _classNames = classNames is null ? DefaultNames(Math.Max(maxLabel + 1, 1)) : CopyNames(classNames, nameof(classNames));
        if (maxLabel >= _classNames.Count)
        {
            throw new ArgumentException($"Label {maxLabel} has no class name (there are {_classNames.Count}).", nameof(labels));
        }
        if (ids is not null)
        {
            if (ids.Count != labels.Length)
            {
                throw new ArgumentException($"Expected one id per row ({labels.Length}), got {ids.Count}.", nameof(ids));
            }
            _ids = CopyNames(ids, nameof(ids));
        }
        _features = features;
        _labels = labels;
        _shape = [dimension];
        Dimension = dimension;
    }

    /// <summary>Number of rows.</summary>
    public int Count => _labels.Length;

    /// <summary>Values per row.</summary>
    public int Dimension { get; }

    /// <summary>All values, row-major [<see cref="Count"/>, <see cref="Dimension"/>].</summary>
    public ReadOnlySpan<float> Features => _features;

    /// <summary>The label of each row.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>[<see cref="Dimension"/>].</summary>
    public ReadOnlySpan<int> ItemShape => _shape;

    /// <summary>Number of classes.</summary>
    public int ClassCount => _classNames.Count;

    /// <summary>The id of each row, or null when the source had none.</summary>
    public IReadOnlyList<string>? Ids => _ids;

    /// <summary>The values of row <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="Count"/>).</exception>
    public ReadOnlySpan<float> Row(int index)
    {
        if ((uint)index >= (uint)_labels.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Row index must be in [0, {Count}).");
        }
        return _features.AsSpan(index * Dimension, Dimension);
    }

    /// <summary>
    /// Gathers the rows at <paramref name="indices"/> into a new tensor [indices.Length, <see cref="Dimension"/>].
    /// Feature vectors have no training transform, so <paramref name="request"/> changes nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, <see cref="Count"/>).</exception>
    public Tensor Batch(ReadOnlySpan<int> indices, BatchRequest request = default)
    {
        var values = GC.AllocateUninitializedArray<float>(checked(indices.Length * Dimension));
        for (int j = 0; j < indices.Length; j++)
        {
            int i = CheckIndex(indices, j);
            _features.AsSpan(i * Dimension, Dimension).CopyTo(values.AsSpan(j * Dimension, Dimension));
        }
        return Tensor.Wrap(values, indices.Length, Dimension);
    }

    /// <summary>A new dataset with the rows at <paramref name="indices"/>, in that order (repeats allowed), with their ids.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, <see cref="Count"/>).</exception>
    public FeatureDataset Subset(ReadOnlySpan<int> indices)
    {
        var labels = GC.AllocateUninitializedArray<int>(indices.Length);
        string[]? ids = _ids is null ? null : new string[indices.Length];
        for (int j = 0; j < indices.Length; j++)
        {
            int i = CheckIndex(indices, j);
            labels[j] = _labels[i];
            if (ids is not null)
            {
                ids[j] = _ids![i];
            }
        }
        var values = Batch(indices).ReadOnlySpan.ToArray();
        return new FeatureDataset(values, labels, Dimension, _classNames, ids, takeOwnership: true);
    }

    /// <inheritdoc />
    IDataset IDataset.Subset(ReadOnlySpan<int> indices) => Subset(indices);

    /// <inheritdoc />
    public override string ToString() => $"FeatureDataset: {Count} rows of {Dimension} values, {ClassCount} classes";

    private int CheckIndex(ReadOnlySpan<int> indices, int j)
    {
        int i = indices[j];
        if ((uint)i >= (uint)_labels.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(indices), i, $"indices[{j}] = {i} is outside [0, {Count}).");
        }
        return i;
    }

    private static ReadOnlyCollection<string> DefaultNames(int count)
    {
        var names = new string[count];
        for (int c = 0; c < count; c++)
        {
            names[c] = c.ToString(CultureInfo.InvariantCulture);
        }
        return Array.AsReadOnly(names);
    }

    private static ReadOnlyCollection<string> CopyNames(IReadOnlyList<string> source, string paramName)
    {
        var names = new string[source.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = source[i] ?? throw new ArgumentException($"{paramName}[{i}] is null.", paramName);
        }
        return Array.AsReadOnly(names);
    }
}
