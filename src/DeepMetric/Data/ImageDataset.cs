using System.Collections.ObjectModel;
using System.Numerics.Tensors;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Data;

/// <summary>
/// An immutable labelled image set held in memory: pixels as float32 in one row-major array of shape
/// [<see cref="Count"/>, <see cref="Channels"/>, <see cref="Height"/>, <see cref="Width"/>], integer class
/// labels in [0, <see cref="ClassCount"/>) and the class names. Filtering keeps the original label values and
/// class names, so a subset's labels still index <see cref="ClassNames"/>. An optional <see cref="Augmenter"/>
/// (<see cref="WithAugmenter"/>) transforms training reads (<see cref="BatchRequest.Augment"/>); evaluation reads
/// return the stored pixels.
/// </summary>
public sealed class ImageDataset : IDataset
{
    private readonly float[] _pixels;
    private readonly int[] _shape;
    private readonly int[] _labels;
    private readonly ReadOnlyCollection<string> _classNames;
    private readonly ReadOnlyCollection<int> _classCounts;

    /// <summary>Creates a dataset from copies of <paramref name="pixels"/> and <paramref name="labels"/>.</summary>
    /// <param name="pixels">Row-major [n, channels, height, width] values.</param>
    /// <param name="labels">One label per image, each in [0, classNames.Count).</param>
    /// <param name="channels">Channels per image (1 for grey scale).</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="classNames">Name of each class, indexed by label.</param>
    public ImageDataset(ReadOnlySpan<float> pixels, ReadOnlySpan<int> labels, int channels, int height, int width, IReadOnlyList<string> classNames)
        : this(pixels.ToArray(), labels.ToArray(), channels, height, width, CopyNames(classNames))
    {
    }

    // Takes ownership of the arrays: callers must not keep or change them.
    private ImageDataset(float[] pixels, int[] labels, int channels, int height, int width, ReadOnlyCollection<string> classNames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        long imageSize = (long)channels * height * width;
        if (imageSize > Array.MaxLength)
        {
            throw new ArgumentException($"An image of {channels}×{height}×{width} values is too large.", nameof(width));
        }
        if (pixels.LongLength != labels.LongLength * imageSize)
        {
            throw new ArgumentException(
                $"Expected {labels.Length} images × {channels}×{height}×{width} = {labels.LongLength * imageSize} pixel values for {labels.Length} labels, got {pixels.Length}.",
                nameof(pixels));
        }

        var counts = new int[classNames.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            int label = labels[i];
            if ((uint)label >= (uint)counts.Length)
            {
                throw new ArgumentException($"labels[{i}] = {label} is outside [0, {counts.Length}) given by the {counts.Length} class names.", nameof(labels));
            }
            counts[label]++;
        }

        _pixels = pixels;
        _labels = labels;
        _classNames = classNames;
        _classCounts = Array.AsReadOnly(counts);
        _shape = [channels, height, width];
        Channels = channels;
        Height = height;
        Width = width;
        ImageSize = (int)imageSize;
    }

    // A view of another dataset's arrays with another augmenter (the arrays are never written).
    private ImageDataset(ImageDataset source, Augmenter? augmenter)
    {
        _pixels = source._pixels;
        _labels = source._labels;
        _classNames = source._classNames;
        _classCounts = source._classCounts;
        _shape = source._shape;
        Channels = source.Channels;
        Height = source.Height;
        Width = source.Width;
        ImageSize = source.ImageSize;
        Augmenter = augmenter;
    }

    /// <summary>Number of images.</summary>
    public int Count => _labels.Length;

    /// <summary>Channels per image.</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Values per image: <see cref="Channels"/>·<see cref="Height"/>·<see cref="Width"/>.</summary>
    public int ImageSize { get; }

    /// <summary>[<see cref="Channels"/>, <see cref="Height"/>, <see cref="Width"/>].</summary>
    public ReadOnlySpan<int> ItemShape => _shape;

    /// <summary>
    /// The augmentation applied to training reads (<see cref="BatchRequest.Augment"/>), with <see cref="BatchRequest.Step"/>
    /// as its step; null (the default) reads the stored pixels in training too.
    /// </summary>
    public Augmenter? Augmenter { get; }

    /// <summary>All pixels, row-major [<see cref="Count"/>, <see cref="Channels"/>, <see cref="Height"/>, <see cref="Width"/>].</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <summary>The label of each image.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Number of classes (<see cref="ClassNames"/>.Count), including classes with no image here.</summary>
    public int ClassCount => _classNames.Count;

    /// <summary>Images per class, indexed by label (zero for classes filtered out).</summary>
    public IReadOnlyList<int> ClassCounts => _classCounts;

    /// <summary>The pixels of image <paramref name="index"/>, [<see cref="Channels"/>, <see cref="Height"/>, <see cref="Width"/>].</summary>
    public ReadOnlySpan<float> Image(int index)
    {
        CheckIndex(index, nameof(index));
        return _pixels.AsSpan(index * ImageSize, ImageSize);
    }

    /// <summary>The same images (shared, not copied) with <paramref name="augmenter"/> applied to training reads.</summary>
    /// <param name="augmenter">The training augmentation; null reads the stored pixels in training too.</param>
    public ImageDataset WithAugmenter(Augmenter? augmenter) => new(this, augmenter);

    /// <summary>A new dataset with the images at <paramref name="indices"/>, in that order (repeats allowed), and the same <see cref="Augmenter"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, <see cref="Count"/>).</exception>
    public ImageDataset Subset(ReadOnlySpan<int> indices)
    {
        var labels = GC.AllocateUninitializedArray<int>(indices.Length);
        var pixels = GC.AllocateUninitializedArray<float>(checked(indices.Length * ImageSize));
        Gather(indices, pixels, labels, nameof(indices));
        var subset = new ImageDataset(pixels, labels, Channels, Height, Width, _classNames);
        return Augmenter is null ? subset : subset.WithAugmenter(Augmenter);
    }

    /// <inheritdoc />
    IDataset IDataset.Subset(ReadOnlySpan<int> indices) => Subset(indices);

    /// <summary>A new dataset with the images whose label is one of <paramref name="classes"/>, in their original order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class is outside [0, <see cref="ClassCount"/>).</exception>
    public ImageDataset WhereClasses(params ReadOnlySpan<int> classes)
    {
        var keep = new bool[ClassCount];
        foreach (int c in classes)
        {
            if ((uint)c >= (uint)keep.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(classes), c, $"Class {c} is outside [0, {ClassCount}).");
            }
            keep[c] = true;
        }
        return Where(keep);
    }

    /// <summary>A new dataset with the images whose label lies in <paramref name="classes"/> (e.g. <c>0..5</c>, <c>^5..</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not fit in [0, <see cref="ClassCount"/>].</exception>
    public ImageDataset WhereClasses(Range classes) => Where(ClassMask(classes, ClassCount, nameof(classes)));

    /// <summary>
    /// Gathers the images at <paramref name="indices"/> into a new tensor of shape
    /// [indices.Length, <see cref="Channels"/>, <see cref="Height"/>, <see cref="Width"/>]. A training read
    /// (<see cref="BatchRequest.Augment"/>) then applies <see cref="Augmenter"/>, if any, with <see cref="BatchRequest.Step"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, <see cref="Count"/>).</exception>
    public Tensor Batch(ReadOnlySpan<int> indices, BatchRequest request = default)
    {
        var pixels = GC.AllocateUninitializedArray<float>(checked(indices.Length * ImageSize));
        Gather(indices, pixels, null, nameof(indices));
        if (request.Augment)
        {
            Augmenter?.Apply(pixels, indices.Length, Channels, Height, Width, request.Step);
        }
        return Tensor.Wrap(pixels, indices.Length, Channels, Height, Width);
    }

    /// <summary>
    /// Loads a pair of IDX files (MNIST format, raw or gzip): images with magic 0x00000803 and labels with magic
    /// 0x00000801. Pixels are scaled from [0, 255] to [0, 1].
    /// </summary>
    /// <param name="imagesPath">The images file, uint8 [n, rows, cols].</param>
    /// <param name="labelsPath">The labels file, uint8 [n].</param>
    /// <param name="classNames">Names indexed by label; null names the classes "0", "1", … up to the largest label.</param>
    /// <exception cref="InvalidDataException">A file is empty, truncated, has the wrong magic number, the counts differ, or a label has no class name.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public static ImageDataset LoadIdx(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null)
    {
        var images = IdxReader.ReadImages(imagesPath);
        var rawLabels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != rawLabels.Length)
        {
            throw new InvalidDataException(
                $"IDX files disagree: '{imagesPath}' holds {images.Count} images but '{labelsPath}' holds {rawLabels.Length} labels.");
        }

        var labels = GC.AllocateUninitializedArray<int>(rawLabels.Length);
        TensorPrimitives.ConvertChecked<byte, int>(rawLabels, labels);
        int maxLabel = labels.Length == 0 ? -1 : TensorPrimitives.Max<int>(labels);
        ReadOnlyCollection<string> names;
        if (classNames is null)
        {
            var generated = new string[maxLabel + 1];
            for (int c = 0; c < generated.Length; c++)
            {
                generated[c] = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            names = Array.AsReadOnly(generated);
        }
        else
        {
            names = CopyNames(classNames);
            if (maxLabel >= names.Count)
            {
                throw new InvalidDataException($"IDX file '{labelsPath}': label {maxLabel} has no class name (there are {names.Count} classes).");
            }
        }

        var pixels = GC.AllocateUninitializedArray<float>(images.Pixels.Length);
        TensorPrimitives.ConvertChecked<byte, float>(images.Pixels, pixels);
        // Divide (not multiply by 1/255) so that 255 maps to exactly 1.
        TensorPrimitives.Divide(pixels, 255f, pixels);
        return new ImageDataset(pixels, labels, 1, images.Rows, images.Columns, names);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"ImageDataset: {Count} images of {Channels}×{Height}×{Width}, {ClassCount} classes";

    /// <summary>Resolves <paramref name="classes"/> against <paramref name="classCount"/> into a per-class mask.</summary>
    internal static bool[] ClassMask(Range classes, int classCount, string paramName)
    {
        int start = classes.Start.GetOffset(classCount);
        int end = classes.End.GetOffset(classCount);
        if (start < 0 || end > classCount || start > end)
        {
            throw new ArgumentOutOfRangeException(paramName, classes, $"Class range {classes} does not fit in [0, {classCount}].");
        }
        var mask = new bool[classCount];
        mask.AsSpan(start, end - start).Fill(true);
        return mask;
    }

    private ImageDataset Where(bool[] keep)
    {
        int n = 0;
        for (int c = 0; c < keep.Length; c++)
        {
            n += keep[c] ? _classCounts[c] : 0;
        }
        var indices = GC.AllocateUninitializedArray<int>(n);
        int k = 0;
        for (int i = 0; i < _labels.Length; i++)
        {
            if (keep[_labels[i]])
            {
                indices[k++] = i;
            }
        }
        return Subset(indices);
    }

    private void Gather(ReadOnlySpan<int> indices, float[] pixels, int[]? labels, string paramName)
    {
        int size = ImageSize;
        for (int j = 0; j < indices.Length; j++)
        {
            int i = indices[j];
            if ((uint)i >= (uint)_labels.Length)
            {
                throw new ArgumentOutOfRangeException(paramName, i, $"{paramName}[{j}] = {i} is outside [0, {Count}).");
            }
            if (labels is not null)
            {
                labels[j] = _labels[i];
            }
            _pixels.AsSpan(i * size, size).CopyTo(pixels.AsSpan(j * size, size));
        }
    }

    private void CheckIndex(int index, string paramName)
    {
        if ((uint)index >= (uint)_labels.Length)
        {
            throw new ArgumentOutOfRangeException(paramName, index, $"Image index must be in [0, {Count}).");
        }
    }

    private static ReadOnlyCollection<string> CopyNames(IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0)
        {
            throw new ArgumentException("At least one class name is required.", nameof(classNames));
        }
        var names = new string[classNames.Count];
        for (int c = 0; c < names.Length; c++)
        {
            names[c] = classNames[c] ?? throw new ArgumentException($"classNames[{c}] is null.", nameof(classNames));
        }
        return Array.AsReadOnly(names);
    }
}
