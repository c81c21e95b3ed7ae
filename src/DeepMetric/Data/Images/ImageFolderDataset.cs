using System.Runtime.ExceptionServices;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Data.Images;

/// <summary>
/// A lazy dataset of image files: it holds paths and labels only and decodes the items of each batch on demand, in
/// parallel, through <see cref="ImageReader"/>, then applies the training transform (augmented reads) or the
/// evaluation transform, so memory does not grow with the number of images (beyond an optional bounded
/// <see cref="DecodedImageCache"/>). Random choices are keyed by (seed, <see cref="BatchRequest.Step"/>, slot in the
/// batch): a batch is the same whichever thread builds it and whenever, so batches can be prepared ahead and a
/// resumed run is bit-identical. Thread-safe.
/// </summary>
public sealed class ImageFolderDataset : IDataset
{
    private readonly string[] _paths;
    private readonly int[] _labels;
    private readonly string[] _classNames;
    private readonly int[] _itemShape;
    private readonly DecodedImageCache? _cache;

    /// <summary>Creates a dataset of the given files.</summary>
    /// <param name="paths">Image file paths.</param>
    /// <param name="labels">Label of each file, in [0, classNames.Count).</param>
    /// <param name="classNames">Class names by label.</param>
    /// <param name="evaluation">The deterministic transform of evaluation reads; its output size must not depend on the source size.</param>
    /// <param name="training">The transform of augmented reads (null: <paramref name="evaluation"/>); same output size.</param>
    /// <param name="options">Colour, seed, pixel limit, cache and parallelism (null: defaults).</param>
    /// <exception cref="ArgumentException">Counts differ, a label is out of range, or a transform's output size is not fixed or differs from the other's.</exception>
    public ImageFolderDataset(IReadOnlyList<string> paths, IReadOnlyList<int> labels, IReadOnlyList<string> classNames,
        ImageTransform evaluation, ImageTransform? training = null, ImageFolderDatasetOptions? options = null)
        : this([.. paths ?? throw new ArgumentNullException(nameof(paths))], [.. labels ?? throw new ArgumentNullException(nameof(labels))],
            [.. classNames ?? throw new ArgumentNullException(nameof(classNames))], evaluation, training, options ?? new(), null)
    {
    }

    private ImageFolderDataset(string[] paths, int[] labels, string[] classNames, ImageTransform evaluation, ImageTransform? training,
        ImageFolderDatasetOptions options, DecodedImageCache? cache)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxParallelism, "options.MaxParallelism");
        if (paths.Length != labels.Length)
        {
            throw new ArgumentException($"Expected one label per file, got {labels.Length} labels for {paths.Length} files.", nameof(labels));
        }
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Length)
            {
                throw new ArgumentException($"labels[{i}] = {labels[i]} is outside [0, {classNames.Length}).", nameof(labels));
            }
        }
        var size = evaluation.FixedOutputSize()
            ?? throw new ArgumentException("The evaluation transform's output size depends on the image size; end it with a crop or a resize to a fixed size.", nameof(evaluation));
        training ??= evaluation;
        if (training.FixedOutputSize() != size)
        {
            throw new ArgumentException($"The training transform must give the evaluation transform's fixed {size.Width}×{size.Height} output.", nameof(training));
        }
        _paths = paths;
        _labels = labels;
        _classNames = classNames;
        Evaluation = evaluation;
        Training = training;
        Options = options;
        _cache = cache ?? (options.CacheBytes > 0 ? new DecodedImageCache(options.CacheBytes) : null);
        _itemShape = [options.ColorMode == ImageColorMode.Gray ? 1 : 3, size.Height, size.Width];
    }

    /// <summary>Opens the class-folder tree at <paramref name="root"/> (see <see cref="ImageFolderLayout.Scan"/>); no image is decoded yet.</summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">No class folder, or an empty one (named in the message).</exception>
    public static ImageFolderDataset Open(string root, ImageTransform evaluation, ImageTransform? training = null, ImageFolderDatasetOptions? options = null)
    {
        var layout = ImageFolderLayout.Scan(root);
        return new ImageFolderDataset(layout.Paths, layout.Labels, layout.ClassNames, evaluation, training, options);
    }

    /// <inheritdoc/>
    public int Count => _paths.Length;

    /// <inheritdoc/>
    public ReadOnlySpan<int> Labels => _labels;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <inheritdoc/>
    public ReadOnlySpan<int> ItemShape => _itemShape;

    /// <summary>The file of each item.</summary>
    public IReadOnlyList<string> Paths => _paths;

    /// <summary>The transform of evaluation reads.</summary>
    public ImageTransform Evaluation { get; }

    /// <summary>The transform of augmented (training) reads.</summary>
    public ImageTransform Training { get; }

    /// <summary>The read options.</summary>
    public ImageFolderDatasetOptions Options { get; }

    /// <summary>The decoded-image cache shared with subsets, if any.</summary>
    public DecodedImageCache? Cache => _cache;

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">A file is not a readable image (the message names it).</exception>
    /// <exception cref="FileNotFoundException">A file has gone.</exception>
    public Tensor Batch(ReadOnlySpan<int> indices, BatchRequest request = default)
    {
        int n = indices.Length, size = _itemShape[0] * _itemShape[1] * _itemShape[2];
        var items = indices.ToArray();
        for (int i = 0; i < n; i++)
        {
            if ((uint)items[i] >= (uint)_paths.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), items[i], $"indices[{i}] is outside [0, {_paths.Length}).");
            }
        }
        var values = GC.AllocateUninitializedArray<float>(checked(n * size));
        var transform = request.Augment ? Training : Evaluation;
        try
        {
            Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Options.MaxParallelism }, slot =>
            {
                var image = Load(_paths[items[slot]]);
                var random = Images.ItemRandom.Create(Options.Seed, request.Step, slot);
                transform.Apply(image, values.AsSpan(slot * size, size), random);
            });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            throw;
        }
        return Tensor.FromArray(values, [n, .. _itemShape]);
    }

    /// <inheritdoc/>
    public IDataset Subset(ReadOnlySpan<int> indices)
    {
        var paths = new string[indices.Length];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int k = indices[i];
            if ((uint)k >= (uint)_paths.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), k, $"indices[{i}] is outside [0, {_paths.Length}).");
            }
            paths[i] = _paths[k];
            labels[i] = _labels[k];
        }
        return new ImageFolderDataset(paths, labels, _classNames, Evaluation, Training, Options, _cache);
    }

    /// <summary>
    /// A dataset of the same files, labels, evaluation transform and cache whose augmented reads apply
    /// <paramref name="training"/> with randomness seeded by <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The transform's output size differs from <see cref="ItemShape"/>.</exception>
    public ImageFolderDataset WithTraining(ImageTransform training, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(training);
        return new ImageFolderDataset(_paths, _labels, _classNames, Evaluation, training, Options with { Seed = seed }, _cache);
    }

    /// <summary>
    /// Checks every file without decoding pixels (<see cref="ImageReader.Check"/>), in parallel: the failures, in file
    /// order, as (item index, error). Run it before training so bad files are reported before anything is written.
    /// </summary>
    public IReadOnlyList<(int Index, Exception Error)> CheckFiles()
    {
        var errors = new Exception?[_paths.Length];
        Parallel.For(0, _paths.Length, new ParallelOptions { MaxDegreeOfParallelism = Options.MaxParallelism }, i =>
        {
            try
            {
                ImageReader.Check(_paths[i], Options.MaxPixels);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                errors[i] = e;
            }
        });
        var failures = new List<(int, Exception)>();
        for (int i = 0; i < errors.Length; i++)
        {
            if (errors[i] is { } e)
            {
                failures.Add((i, e));
            }
        }
        return failures;
    }

    /// <summary>The decoded (untransformed) image of item <paramref name="index"/>, e.g. for a thumbnail.</summary>
    public PixelImage Decode(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_paths.Length, nameof(index));
        return Load(_paths[index]);
    }

    private PixelImage Load(string path) =>
        _cache is null ? Read(path) : _cache.GetOrAdd(path, Read);

    private PixelImage Read(string path) => ImageReader.Read(path, Options.ColorMode, Options.MaxPixels);
}
