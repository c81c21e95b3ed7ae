using System.CommandLine;
using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Data.Benchmarks;
using DeepMetric.Data.Glyphs;
using DeepMetric.Data.Images;
using DeepMetric.Training;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// The data-source options shared by <c>train</c>, <c>eval</c>, <c>embed</c> and <c>fewshot</c>, and their resolution
/// into a <see cref="DataSplit"/>. One instance per command.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>--data glyphs</c> (default): the glyph set in <c>--data-dir</c> (written by <c>deepmetric data glyphs</c>),
/// else the shipped demo set; train on its training characters, evaluate on characters never trained on.</item>
/// <item><c>--data fashion-mnist</c>: the IDX files in <c>--data-dir</c>. <c>--protocol open-set</c> (default) trains
/// on classes 0-4 of the training split and evaluates on the unseen classes 5-9 of the test split;
/// <c>--protocol closed-set</c> trains on the whole training split and evaluates on the test split (unseen images of
/// the same ten classes).</item>
/// <item><c>--data image-folder</c>: one sub-folder per class (JPEG, PNG, BMP, GIF, WebP, TGA, TIFF, PGM/PPM; photos
/// of any size, decoded on demand, see <see cref="ImageFolderDataset"/>). <c>--data-dir DIR</c> with
/// <c>DIR/train</c> and <c>DIR/test</c> sub-folders uses them as they are; any other <c>--data-dir DIR</c> (or a lone
/// <c>--train DIR</c>) is split by class for the open-set protocol: the first ⌊N/2⌋ classes in ordinal name order
/// are trained on and the rest evaluated. <c>--train DIR --test DIR</c> names both folders.</item>
/// <item><c>--data csv</c>: <c>--train FILE</c> (and optionally <c>--test FILE</c>), one row per item, the label in
/// <c>--label-column</c> (header name or 0-based index; default column 0); a lone file is split by class as above.</item>
/// <item><c>--data npy</c>: <c>--train X.npy --labels Y.npy</c> (and optionally <c>--test X.npy --test-labels Y.npy</c>).</item>
/// <item><c>--data cub|cars196|sop|inshop --data-dir DIR</c>: CUB-200-2011, Cars196, Stanford Online Products or In-Shop
/// Clothes in their archive layout and standard protocol (see <see cref="Data.Benchmarks.BenchmarkSplit"/>); images go
/// through the image-folder pipeline (default 64×64 RGB, options as for image folders). In-Shop's queries are ranked
/// among its gallery (<see cref="DataSplit.Reference"/>).</item>
/// </list>
/// Feature vectors are items of shape [D], so they suit the MLP only. Without <c>--data</c>, a <c>--data-dir</c> that
/// holds no glyph set means Fashion-MNIST.
/// </remarks>
internal sealed class DataSourceOptions(CommonOptions common, bool allowTensorFile = false)
{
    internal const string GlyphsSource = "glyphs";
    internal const string FashionMnistSource = "fashion-mnist";
    internal const string OpenSetProtocol = "open-set";
    internal const string ClosedSetProtocol = "closed-set";
    internal const string ImageFolderSource = "image-folder";
    internal const string CsvSource = "csv";
    internal const string NpySource = "npy";
    internal const string CubSource = "cub";
    internal const string Cars196Source = "cars196";
    internal const string SopSource = "sop";
    internal const string InShopSource = "inshop";

    /// <summary>The benchmark layouts read from <c>--data-dir</c> in their standard protocol.</summary>
    internal static readonly string[] BenchmarkSources = [CubSource, Cars196Source, SopSource, InShopSource];

    /// <summary>Sources whose items are image files read through the image pipeline.</summary>
    internal static bool IsImageFiles(string source) => source == ImageFolderSource || BenchmarkSources.Contains(source);

    public Option<string> Data { get; } = allowTensorFile ? RawEmbeddingOptions.DataWithTensorFile() : CreateData();

    public Option<string> Protocol { get; } = CreateProtocol();

    public Option<string?> Train { get; } = new("--train") { Description = "csv/npy: training features file; image-folder: training folder", HelpName = "path" };

    public Option<string?> Test { get; } = new("--test") { Description = "csv/npy: test features file; image-folder: test folder (default: split --train by class)", HelpName = "path" };

    public Option<string?> Labels { get; } = new("--labels") { Description = "npy: labels of --train (.npy integers or a text file, one label a line)", HelpName = "path" };

    public Option<string?> TestLabels { get; } = new("--test-labels") { Description = "npy: labels of --test", HelpName = "path" };

    public Option<string?> LabelColumn { get; } = new("--label-column") { Description = "csv: the label column, by header name or 0-based index (default: column 0)", HelpName = "name" };

    public Option<string?> ImageSize { get; } = ImageSizeOption();

    public Option<string?> Color { get; } = ColorOption();

    public Option<double?> ResizeRatio { get; } = ResizeRatioOption();

    public Option<string?> Normalize { get; } = NormalizeOption();

    public Option<int> ImageCacheMb { get; } = new("--image-cache-mb")
    {
        Description = "image-folder: keep up to N MB of decoded images in memory between reads (default 0: decode on every read)",
        HelpName = "N",
    };

    public Option<bool> SkipBadImages { get; } = new("--skip-bad-images")
    {
        Description = "image-folder: leave out files that are not readable images (counted in the summary) instead of stopping at the first",
    };

    /// <summary>train: <c>--crop-scale</c>, the smallest share of an image a random crop keeps (with --augment).</summary>
    public Option<double?> CropScale { get; } = new("--crop-scale")
    {
        Description = "image-folder with --augment: random resized crops keep at least this share of the image area (default 0.35; torchvision's 0.08 is harsher)",
        HelpName = "share",
    };

    /// <summary>train: <c>--jitter</c>, colour jitter strength (with --augment).</summary>
    public Option<double?> Jitter { get; } = new("--jitter")
    {
        Description = "image-folder with --augment: brightness/contrast/saturation jitter strength (default 0: off; 0.4 is strong)",
        HelpName = "s",
    };

    /// <summary>The evaluation transform settings resolved by the last image-folder <see cref="Load"/>.</summary>
    internal ImageTransformOptions? ImageTransforms { get; private set; }

    /// <summary>The resize ratio and normalisation resolved by the last image-folder <see cref="Load"/> (saved with a trained model).</summary>
    internal ImagePreprocessing? Preprocessing { get; private set; }

    /// <summary><c>--normalize none|imagenet</c>.</summary>
    internal static Option<string?> NormalizeOption()
    {
        var o = new Option<string?>("--normalize")
        {
            Description = "image-folder: 'imagenet' standardises channels with the ImageNet mean/std, 'none' keeps [0, 1] (default: as the model was trained, else none)",
            HelpName = "kind",
        };
        o.AcceptOnlyFromAmong(ImagePreprocessing.None, ImagePreprocessing.ImageNet);
        return o;
    }

    /// <summary><c>--resize-ratio R</c>: how evaluation reads fit an image into the input size.</summary>
    internal static Option<double?> ResizeRatioOption() => new("--resize-ratio")
    {
        Description = "image-folder: resize the shorter side to R × the input size, then crop the centre (default 1: keep the aspect ratio; 8/7 ≈ 1.14 as ImageNet; 0: stretch to the size)",
        HelpName = "R",
    };

    /// <summary><c>--image-size WxH</c> (or one number for a square): the size images are resized to.</summary>
    internal static Option<string?> ImageSizeOption() =>
        new("--image-size") { Description = "image-folder: resize images to WxH (default: the model's input, else the first image's size)", HelpName = "WxH" };

    /// <summary><c>--color gray|rgb</c>.</summary>
    internal static Option<string?> ColorOption()
    {
        var o = new Option<string?>("--color") { Description = "image-folder: 'gray' or 'rgb' (default: the model's channels, else gray)", HelpName = "mode" };
        o.AcceptOnlyFromAmong("gray", "rgb");
        return o;
    }

    public void AddTo(Command command)
    {
        command.Add(Data);
        command.Add(Protocol);
        command.Add(Train);
        command.Add(Test);
        command.Add(Labels);
        command.Add(TestLabels);
        command.Add(LabelColumn);
        command.Add(ImageSize);
        command.Add(Color);
        command.Add(ResizeRatio);
        command.Add(Normalize);
        command.Add(ImageCacheMb);
        command.Add(SkipBadImages);
    }

    /// <summary>Adds the training-only augmentation options of image folders.</summary>
    public void AddAugmentationTo(Command command)
    {
        command.Add(CropScale);
        command.Add(Jitter);
    }

    /// <summary>
    /// The training transform of <c>--augment</c> on an image folder: a random resized crop to the input size
    /// (<c>--crop-scale</c>), a horizontal flip and colour jitter (<c>--jitter</c>).
    /// </summary>
    internal ImageTransform TrainingTransform(ParseResult parseResult)
    {
        var evaluation = ImageTransforms ?? throw new InvalidOperationException("Load an image folder first.");
        double scale = parseResult.GetValue(CropScale) ?? 0.35;
        double jitter = parseResult.GetValue(Jitter) ?? 0;
        if (!(scale > 0 && scale <= 1))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--crop-scale must be in (0, 1], got {scale}."));
        }
        if (!(jitter >= 0 && jitter <= 1))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--jitter must be in [0, 1], got {jitter}."));
        }
        return ImageTransform.ForTraining(evaluation with { MinCropScale = scale, Jitter = jitter, RandomCrop = true, Flip = true });
    }

    /// <summary>Fails when augmentation options are given without <c>--augment</c> or for data other than an image folder.</summary>
    internal void CheckAugmentationOptions(ParseResult parseResult, bool augment)
    {
        foreach (var option in new Option[] { CropScale, Jitter })
        {
            if (parseResult.GetResult(option) is { Implicit: false } && (!augment || ImageTransforms is null))
            {
                throw new UsageException($"{option.Name} applies to --augment on --data image-folder only.");
            }
        }
    }

    /// <summary>True when the data source is Fashion-MNIST.</summary>
    internal bool IsFashionMnist(ParseResult parseResult) => Source(parseResult) == FashionMnistSource;

    /// <summary>
    /// The data source: <c>--data</c> when given; otherwise glyphs, unless <c>--data-dir</c> names a directory without a
    /// glyph set (then Fashion-MNIST, as before glyphs were the default).
    /// </summary>
    internal string Source(ParseResult parseResult)
    {
        if (parseResult.GetResult(Data) is { Implicit: false })
        {
            return parseResult.GetValue(Data) ?? GlyphsSource;
        }
        string? dir = parseResult.GetValue(common.DataDir)?.FullName;
        return dir is null || GlyphSetStore.Exists(dir) ? GlyphsSource : FashionMnistSource;
    }

    /// <summary>
    /// Loads the data. With <paramref name="model"/>, image folders default to the model's input size and colour, and
    /// the data must fit the model's input.
    /// </summary>
    internal DataSplit Load(ParseResult parseResult, LoadedModel? model = null)
    {
        string source = Source(parseResult);
        string? train = parseResult.GetValue(Train);
        bool closedSet = parseResult.GetValue(Protocol) == ClosedSetProtocol;
        if (closedSet && source != FashionMnistSource)
        {
            throw new UsageException(source == GlyphsSource
                ? "--protocol closed-set applies to --data fashion-mnist; the glyph set is open-set by construction (its test characters are never trained on)."
                : "--protocol applies to --data fashion-mnist; image folders, CSV and npy files are split as given (or by class).");
        }
        string? test = parseResult.GetValue(Test);
        Only(parseResult, source, Labels, NpySource);
        Only(parseResult, source, TestLabels, NpySource);
        Only(parseResult, source, LabelColumn, CsvSource);
        OnlyImages(parseResult, source, ImageSize);
        OnlyImages(parseResult, source, Color);
        OnlyImages(parseResult, source, ResizeRatio);
        OnlyImages(parseResult, source, Normalize);
        OnlyImages(parseResult, source, ImageCacheMb);
        OnlyImages(parseResult, source, SkipBadImages);
        if (source is not (FashionMnistSource or GlyphsSource) && test is not null && train is null)
        {
            throw new UsageException("--test needs --train.");
        }
        var split = source switch
        {
            GlyphsSource => LoadGlyphs(parseResult, train, test),
            FashionMnistSource => LoadFashionMnist(parseResult, train, test, closedSet),
            ImageFolderSource => LoadImageFolder(parseResult, train, test, model),
            CubSource or Cars196Source or SopSource or InShopSource => LoadBenchmark(parseResult, source, train, test, model),
            CsvSource => LoadCsv(parseResult, Required(train, "--data csv needs --train FILE (and optionally --test FILE)."), test),
            _ => LoadNpy(parseResult, Required(train, "--data npy needs --train X.npy --labels Y.npy."), test),
        };
        if (model is not null)
        {
            CheckFits(model, split.Test, split.Description);
        }
        return split;
    }

    /// <summary>Fails with a one-line message when <paramref name="data"/> does not fit the model's input.</summary>
    internal static void CheckFits(LoadedModel model, IDataset data, string description)
    {
        var (channels, height, width) = DatasetSummary.Shape(data);
        bool fits = model.Kind == ModelLoader.Mlp
            ? (long)channels * height * width == model.InputSize
            : (channels, height, width) == (model.InputChannels, model.InputHeight, model.InputWidth);
        if (!fits)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"The model takes {model.InputChannels}×{model.InputHeight}×{model.InputWidth} inputs but {description} gives {channels}×{height}×{width}; use the data it was trained on (or --image-size/--color for image folders)."));
        }
    }

    /// <summary>Parses <c>--image-size</c>: <c>WxH</c> or one number for a square; null when not given.</summary>
    internal static (int Width, int Height)? ParseImageSize(string? text)
    {
        if (text is null)
        {
            return null;
        }
        var parts = text.Split('x', 'X');
        if (parts.Length is 1 or 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w) && w > 0
            && int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int h) && h > 0)
        {
            return (w, h);
        }
        throw new UsageException($"--image-size must be WxH (e.g. 28x28) or one positive number, got '{text}'.");
    }

    /// <summary>
    /// The image size and colour to read image files at: the options when given, else the model's input, else
    /// null (the first image's size) and grey.
    /// </summary>
    internal static (int Width, int Height)? ResolveSize(string? sizeText, LoadedModel? model) =>
        ParseImageSize(sizeText) ?? (model is null ? null : (model.InputWidth, model.InputHeight));

    /// <summary>The colour mode from <c>--color</c>, else from the model's channels, else grey.</summary>
    internal static ImageColorMode ResolveColor(string? color, LoadedModel? model) => color switch
    {
        "rgb" => ImageColorMode.Rgb,
        "gray" => ImageColorMode.Gray,
        _ => model?.InputChannels == 3 ? ImageColorMode.Rgb : ImageColorMode.Gray,
    };

    private DataSplit LoadGlyphs(ParseResult parseResult, string? train, string? test)
    {
        if (train is not null || test is not null)
        {
            throw new UsageException("--train/--test apply to --data image-folder, csv or npy; a glyph set is read from --data-dir (default: the shipped set).");
        }
        return GlyphsDataSource.Load(parseResult.GetValue(common.DataDir)?.FullName);
    }

    private DataSplit LoadFashionMnist(ParseResult parseResult, string? train, string? test, bool closedSet)
    {
        if (train is not null || test is not null)
        {
            throw new UsageException("--train/--test apply to --data image-folder, csv or npy; Fashion-MNIST is read from --data-dir.");
        }
        var location = common.LocateData(parseResult);
        var all = FashionMnist.Load(location);
        if (closedSet)
        {
            return new DataSplit(FashionMnistSource, all.Train, all.Test, Ids("train", all.Train.Count), Ids("test", all.Test.Count),
                $"Fashion-MNIST from {DatasetSummary.Describe(location)}")
            {
                FashionMnist = all,
                Location = location,
                TrainClasses = "classes 0-9",
                TestClasses = "classes 0-9, unseen test images",
                SplitDescription = "closed-set: train on the train split (classes 0-9), test on the test split's images of the same classes",
                Headline = "test images of the classes trained on (closed set)",
            };
        }
        var (trainSet, testSet) = all.OpenSetSplit();
        return new DataSplit(FashionMnistSource, trainSet, testSet, Ids("train", trainSet.Count), Ids("test", testSet.Count),
            $"Fashion-MNIST from {DatasetSummary.Describe(location)}")
        {
            FashionMnist = all,
            Location = location,
            TrainClasses = "classes 0-4",
            TestClasses = "unseen classes 5-9",
            SplitDescription = "open-set: train classes 0-4 of the train split, test classes 5-9 of the test split",
            Headline = "Fashion-MNIST classes 5-9, never seen in training",
        };
    }

    /// <summary>Default side of benchmark images without --image-size or a model: small enough for the built-in CNN on a CPU.</summary>
    internal const int BenchmarkImageSize = 64;

    // CUB-200-2011, Cars196, SOP or In-Shop from --data-dir in the standard protocol; images read lazily.
    private DataSplit LoadBenchmark(ParseResult parseResult, string source, string? train, string? test, LoadedModel? model)
    {
        if (train is not null || test is not null)
        {
            throw new UsageException($"--train/--test apply to --data image-folder, csv or npy; --data {source} reads its layout from --data-dir.");
        }
        string root = parseResult.GetValue(common.DataDir)?.FullName
            ?? throw new UsageException($"--data {source} needs --data-dir DIR (the dataset's directory as unpacked from its archive).");
        // A missing or malformed layout file fails here with the file (and line) named: exit code 1.
        var split = source switch
        {
            CubSource => Cub200Reader.Load(root),
            Cars196Source => Cars196Reader.Load(root),
            SopSource => StanfordOnlineProductsReader.Load(root),
            _ => InShopClothesReader.Load(root),
        };
        bool skip = parseResult.GetValue(SkipBadImages);
        int skipped = 0;
        ImageFolderDataset Open(BenchmarkImageSet set, ImageFolderDataset? like, ref int count) =>
            OpenImages(parseResult, set.Files, set.Labels, set.ClassNames, c => $"{split.Name} class '{c}'", model, like, skip, ref count, benchmark: true);
        var trainSet = Open(split.Train, null, ref skipped);
        var querySet = Open(split.Query, trainSet, ref skipped);
        var referenceSet = split.QueryIsReference ? null : Open(split.Reference, trainSet, ref skipped);
        string[] Ids(ImageFolderDataset data) => [.. data.Paths.Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))];
        int testClasses = split.Query.Labels.Distinct().Count();
        return new DataSplit(source, trainSet, querySet, Ids(trainSet), Ids(querySet), $"{split.Name} from {root}{Skipped(skipped)}")
        {
            Reference = referenceSet,
            ReferenceIds = referenceSet is null ? null : Ids(referenceSet),
            TrainClasses = string.Create(CultureInfo.InvariantCulture, $"{split.Train.ClassNames.Count:N0} classes"),
            TestClasses = string.Create(CultureInfo.InvariantCulture, $"{testClasses:N0} unseen classes"),
            SplitDescription = $"{split.Name}: {split.Protocol}",
            Headline = $"{split.Name} classes never seen in training" + (referenceSet is null ? "" : ", queries among the gallery"),
            Paths = [root],
        };
    }

    private DataSplit LoadImageFolder(ParseResult parseResult, string? train, string? test, LoadedModel? model)
    {
        string? prefix = null;
        if (train is null)
        {
            string root = parseResult.GetValue(common.DataDir)?.FullName
                ?? throw new UsageException("--data image-folder needs --data-dir DIR (class sub-folders, or train/ and test/ sub-folders) or --train DIR.");
            if (!Directory.Exists(root))
            {
                throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
            }
            if (Directory.Exists(Path.Combine(root, "train")) && Directory.Exists(Path.Combine(root, "test")))
            {
                (train, test, prefix) = (Path.Combine(root, "train"), Path.Combine(root, "test"), "");
            }
            else
            {
                train = root;
            }
        }
        train = Path.GetFullPath(train);
        var trainLayout = ScanClasses(train);
        var testLayout = test is null ? null : ScanClasses(Path.GetFullPath(test));
        bool skip = parseResult.GetValue(SkipBadImages);
        int skipped = 0;
        var trainSet = OpenFolder(parseResult, trainLayout, model, null, skip, ref skipped);
        var trainIds = Pick([.. trainLayout.RelativePaths()], trainSet.Paths, trainLayout.Paths);
        string skippedNote = "";
        if (testLayout is null)
        {
            skippedNote = Skipped(skipped);
            return SplitByClass(ImageFolderSource, trainSet, trainIds, $"image folder {train}{skippedNote}", [train]);
        }
        // The test images are read at the training images' size even when their own first image differs.
        var testSet = OpenFolder(parseResult, testLayout, model, trainSet, skip, ref skipped);
        var testIds = Pick([.. testLayout.RelativePaths()], testSet.Paths, testLayout.Paths);
        if (prefix is not null)
        {
            Prefix(trainIds, "train/");
            Prefix(testIds, "test/");
        }
        skippedNote = Skipped(skipped);
        return Given(ImageFolderSource, trainSet, trainIds, testSet, testIds, $"image folders {train} and {testLayout.Root}{skippedNote}", [train, testLayout.Root]);
    }

    // A class tree with at least two classes: metric learning compares classes.
    private static ImageFolderLayout ScanClasses(string root)
    {
        var layout = ImageFolderLayout.Scan(root);
        if (layout.ClassNames.Count < 2)
        {
            throw new InvalidDataException($"Image folder '{layout.Root}' has one class sub-folder ('{layout.ClassNames[0]}'); metric learning needs at least 2 classes (root/CLASS/IMAGE).");
        }
        return layout;
    }

    // The lazy dataset of a class tree, read at the size and colour of the options, the model, the other set (`like`)
    // or else the first image; every file is checked (header, size limit, JPEG end marker) before anything runs.
    private ImageFolderDataset OpenFolder(ParseResult parseResult, ImageFolderLayout layout, LoadedModel? model, ImageFolderDataset? like, bool skip, ref int skipped) =>
        OpenImages(parseResult, layout.Paths, layout.Labels, layout.ClassNames, c => $"Class folder '{Path.Combine(layout.Root, c)}'", model, like, skip, ref skipped);

    // The lazy dataset of a list of image files (see OpenFolder); `benchmark` sets the defaults of the benchmark
    // layouts (64×64 RGB) in place of the first image's size and grey.
    private ImageFolderDataset OpenImages(ParseResult parseResult, IReadOnlyList<string> paths, IReadOnlyList<int> labels, IReadOnlyList<string> classNames,
        Func<string, string> describeClass, LoadedModel? model, ImageFolderDataset? like, bool skip, ref int skipped, bool benchmark = false)
    {
        string? colorText = parseResult.GetValue(Color) ?? (benchmark && model is null ? "rgb" : null);
        var color = ResolveColor(colorText, model);
        var size = like is null ? ResolveSize(parseResult.GetValue(ImageSize), model) : (like.ItemShape[2], like.ItemShape[1]);
        if (size is null && benchmark)
        {
            size = (BenchmarkImageSize, BenchmarkImageSize);
        }
        if (size is null)
        {
            var first = ImageReader.Read(paths[0], color);
            size = (first.Width, first.Height);
        }
        // Read images as the model was trained on them unless the options say otherwise.
        var saved = ImagePreprocessing.Of(model);
        Preprocessing = new ImagePreprocessing(ImagePreprocessing.CheckRatio(parseResult.GetValue(ResizeRatio) ?? saved.ResizeRatio),
            parseResult.GetValue(Normalize) ?? saved.Normalize);
        int cacheMb = parseResult.GetValue(ImageCacheMb);
        if (cacheMb < 0)
        {
            throw new UsageException("--image-cache-mb must not be negative.");
        }
        ImageTransforms = Preprocessing.Options(size.Value.Width, size.Value.Height, color == ImageColorMode.Rgb ? 3 : 1);
        var options = new ImageFolderDatasetOptions { ColorMode = color, CacheBytes = cacheMb * (1L << 20) };
        var data = new ImageFolderDataset(paths, labels, classNames, ImageTransform.ForEvaluation(ImageTransforms), null, options);
        var failures = data.CheckFiles();
        if (failures.Count == 0)
        {
            return data;
        }
        if (!skip)
        {
            string more = failures.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" ({failures.Count - 1:N0} more bad file(s); --skip-bad-images leaves them out)") : " (--skip-bad-images leaves such files out)";
            throw new InvalidDataException(failures[0].Error.Message.TrimEnd('.') + "." + more);
        }
        skipped += failures.Count;
        var bad = failures.Select(f => f.Index).ToHashSet();
        var kept = Enumerable.Range(0, data.Count).Where(i => !bad.Contains(i)).ToArray();
        // A class that had images and has none left is an error; a class with no image at all (In-Shop's numbering
        // shared by query and gallery) is not.
        var before = new int[classNames.Count];
        var after = new int[classNames.Count];
        foreach (int label in labels)
        {
            before[label]++;
        }
        foreach (int i in kept)
        {
            after[labels[i]]++;
        }
        for (int c = 0; c < before.Length; c++)
        {
            if (before[c] > 0 && after[c] == 0)
            {
                throw new InvalidDataException($"{describeClass(classNames[c])} holds no readable image after leaving out the bad files.");
            }
        }
        return (ImageFolderDataset)data.Subset(kept);
    }

    // The ids of the files kept (all, or those left after skipping bad ones), in dataset order.
    private static string[] Pick(string[] ids, IReadOnlyList<string> kept, IReadOnlyList<string> all)
    {
        if (kept.Count == all.Count)
        {
            return ids;
        }
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < all.Count; i++)
        {
            position[all[i]] = i;
        }
        return [.. kept.Select(p => ids[position[p]])];
    }

    private static string Skipped(int count) =>
        count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({count:N0} unreadable file(s) skipped)");

    private DataSplit LoadCsv(ParseResult parseResult, string train, string? test)
    {
        string? column = parseResult.GetValue(LabelColumn);
        var options = column is null ? new CsvFeatureOptions()
            : int.TryParse(column, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index) ? new CsvFeatureOptions { LabelColumnIndex = index }
            : new CsvFeatureOptions { LabelColumn = column };
        train = Path.GetFullPath(train);
        var trainSet = CsvFeatureReader.Read(train, options);
        if (test is null)
        {
            return SplitByClass(CsvSource, trainSet, FeatureIds(trainSet, "row"), $"CSV features {train}", [train]);
        }
        test = Path.GetFullPath(test);
        var testSet = CsvFeatureReader.Read(test, options);
        CheckSameDimension(trainSet, testSet, train, test);
        return Given(CsvSource, trainSet, FeatureIds(trainSet, "train"), testSet, FeatureIds(testSet, "test"),
            $"CSV features {train} and {test}", [train, test]);
    }

    private DataSplit LoadNpy(ParseResult parseResult, string train, string? test)
    {
        string labels = parseResult.GetValue(Labels) ?? throw new UsageException("--data npy needs --labels Y.npy for --train.");
        string? testLabels = parseResult.GetValue(TestLabels);
        if ((test is null) != (testLabels is null))
        {
            throw new UsageException("--test and --test-labels go together.");
        }
        var trainSet = NpyReader.Load(Path.GetFullPath(train), Path.GetFullPath(labels));
        if (test is null)
        {
            return SplitByClass(NpySource, trainSet, FeatureIds(trainSet, "row"), $"npy features {train}", [train, labels]);
        }
        var testSet = NpyReader.Load(Path.GetFullPath(test), Path.GetFullPath(testLabels!));
        CheckSameDimension(trainSet, testSet, train, test);
        return Given(NpySource, trainSet, FeatureIds(trainSet, "train"), testSet, FeatureIds(testSet, "test"),
            $"npy features {train} and {test}", [train, labels, test, testLabels!]);
    }

    private static DataSplit Given(string source, IDataset train, string[] trainIds, IDataset test, string[] testIds, string description, string[] paths) =>
        new(source, train, test, trainIds, testIds, description)
        {
            TrainClasses = Classes(train),
            TestClasses = Classes(test),
            SplitDescription = "as given: train and test sets",
            Paths = paths,
        };

    // Open set from one set: the first ⌊N/2⌋ classes (ordinal name order) to train, the rest to evaluate.
    private static DataSplit SplitByClass(string source, IDataset all, string[] ids, string description, string[] paths)
    {
        int classes = all.ClassNames.Count;
        if (classes < 2)
        {
            throw new InvalidDataException($"{description} has {classes} class; splitting it into training and unseen test classes needs at least 2 (or give --test).");
        }
        int half = classes / 2;
        var trainRows = new List<int>();
        var testRows = new List<int>();
        var labels = all.Labels;
        for (int i = 0; i < all.Count; i++)
        {
            (labels[i] < half ? trainRows : testRows).Add(i);
        }
        var train = all.Subset(trainRows.ToArray());
        var test = all.Subset(testRows.ToArray());
        return new DataSplit(source, train, test, Pick(ids, trainRows), Pick(ids, testRows), description)
        {
            TrainClasses = Classes(train),
            TestClasses = "unseen " + Classes(test),
            SplitDescription = string.Create(CultureInfo.InvariantCulture, $"open-set by class: train classes 0-{half - 1}, test classes {half}-{classes - 1} (ordinal name order)"),
            Paths = paths,
        };
    }

    private static string Classes(IDataset data)
    {
        var names = new List<string>();
        var counts = DatasetSummary.Counts(data);
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] > 0)
            {
                names.Add(data.ClassNames[c]);
            }
        }
        return names.Count <= 6 ? $"classes {string.Join(", ", names)}" : string.Create(CultureInfo.InvariantCulture, $"{names.Count} classes");
    }

    private static void CheckSameDimension(FeatureDataset train, FeatureDataset test, string trainPath, string testPath)
    {
        if (train.Dimension != test.Dimension)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"'{trainPath}' has {train.Dimension} features per row but '{testPath}' has {test.Dimension}."));
        }
    }

    private static void OnlyImages(ParseResult parseResult, string source, Option option)
    {
        if (!IsImageFiles(source) && parseResult.GetResult(option) is { Implicit: false })
        {
            throw new UsageException($"{option.Name} applies to --data image-folder, cub, cars196, sop or inshop only.");
        }
    }

    private static void Only(ParseResult parseResult, string source, Option option, string requiredSource)
    {
        if (source != requiredSource && parseResult.GetResult(option) is { Implicit: false })
        {
            throw new UsageException($"{option.Name} applies to --data {requiredSource} only.");
        }
    }

    private static string Required(string? value, string message) => value ?? throw new UsageException(message);

    private static string[] FeatureIds(FeatureDataset data, string prefix) =>
        data.Ids is { } ids ? [.. ids] : Ids(prefix, data.Count);

    internal static string[] Ids(string prefix, int count)
    {
        var ids = new string[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = string.Create(CultureInfo.InvariantCulture, $"{prefix}/{i:D6}");
        }
        return ids;
    }

    private static string[] Pick(string[] ids, List<int> rows)
    {
        var picked = new string[rows.Count];
        for (int i = 0; i < picked.Length; i++)
        {
            picked[i] = ids[rows[i]];
        }
        return picked;
    }

    private static void Prefix(string[] ids, string prefix)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = prefix + ids[i];
        }
    }

    private static Option<string> CreateData()
    {
        var o = new Option<string>("--data")
        {
            Description = "Data source: 'glyphs' (default: the shipped glyph set, or --data-dir DIR from 'deepmetric data glyphs'), 'fashion-mnist' (--data-dir), 'image-folder' (--data-dir or --train/--test folders), 'csv' or 'npy' (--train/--test files; one set is split by class, first half to train); 'cub', 'cars196', 'sop' or 'inshop' (the benchmark's layout in --data-dir, standard protocol)",
            DefaultValueFactory = _ => GlyphsSource,
            HelpName = "source",
        };
        o.AcceptOnlyFromAmong([GlyphsSource, FashionMnistSource, ImageFolderSource, CsvSource, NpySource, .. BenchmarkSources]);
        return o;
    }

    private static Option<string> CreateProtocol()
    {
        var o = new Option<string>("--protocol")
        {
            Description = "Fashion-MNIST: 'open-set' (train classes 0-4, test the unseen classes 5-9) or 'closed-set' (train the train split, test the test split's images of the same classes)",
            DefaultValueFactory = _ => OpenSetProtocol,
            HelpName = "name",
        };
        o.AcceptOnlyFromAmong(OpenSetProtocol, ClosedSetProtocol);
        return o;
    }
}
