using System.Collections.ObjectModel;
using System.Globalization;

namespace DeepMetric.Data;

/// <summary>
/// An immutable labelled set of feature vectors (e.g. precomputed embeddings) held in memory: values as float32 in
/// one row-major array of shape [<see cref="Count"/>, <see cref="Dimension"/>], integer labels in
/// [0, <see cref="ClassCount"/>), class names and optional per-row ids. Load one with <see cref="CsvFeatureReader"/>
/// or <see cref="NpyReader"/>; train on it through <see cref="ToImageDataset"/>, which views each vector as a
/// 1×1×D image (what an MLP trunk flattens anyway).
/// </summary>
public sealed class FeatureDataset
{
    private readonly float[] _features;
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
    /// The same data as an <see cref="ImageDataset"/> of 1×1×<see cref="Dimension"/> "images" with the same labels and
    /// class names, so that the trainer, samplers and evaluation (which take image datasets) work on features with
    /// an MLP trunk of input size <see cref="Dimension"/>. Ids are not carried over.
    /// </summary>
    public ImageDataset ToImageDataset() => new(_features, _labels, 1, 1, Dimension, _classNames);

    /// <inheritdoc />
    public override string ToString() => $"FeatureDataset: {Count} rows of {Dimension} values, {ClassCount} classes";

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
