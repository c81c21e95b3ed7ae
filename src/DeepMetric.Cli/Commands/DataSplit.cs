using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Runs;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// The data a command works on, resolved by <see cref="DataSourceOptions"/>: the images to train on and the images
/// to evaluate on (for the open-set protocol, classes never seen in training), with ids and a description.
/// </summary>
/// <param name="Source">The <c>--data</c> kind (<c>fashion-mnist</c>, <c>image-folder</c>, <c>csv</c>, <c>npy</c>).</param>
/// <param name="Train">The training images.</param>
/// <param name="Test">The evaluation images.</param>
/// <param name="TrainIds">One id per training row.</param>
/// <param name="TestIds">One id per evaluation row.</param>
/// <param name="Description">Where the data came from, for messages ("Fashion-MNIST from …", "CSV features from …").</param>
internal sealed record DataSplit(string Source, IDataset Train, IDataset Test, string[] TrainIds, string[] TestIds, string Description)
{
    /// <summary>All ten Fashion-MNIST classes of both splits when <see cref="Source"/> is Fashion-MNIST, else null.</summary>
    public TrainTestSplit? FashionMnist { get; init; }

    /// <summary>The Fashion-MNIST directory, when that is the source.</summary>
    public DatasetLocation? Location { get; init; }

    /// <summary>How the training classes are described ("classes 0-4").</summary>
    public string TrainClasses { get; init; } = "training classes";

    /// <summary>How the evaluation classes are described ("unseen classes 5-9").</summary>
    public string TestClasses { get; init; } = "test classes";

    /// <summary>How the split was made, for config.json.</summary>
    public string SplitDescription { get; init; } = "";

    /// <summary>What the test set is, for the one-line headline of <c>train</c> ("classes never seen in training").</summary>
    public string Headline { get; init; } = "the test set";

    /// <summary>
    /// A separate reference (gallery) set the test queries are ranked against (In-Shop Clothes' gallery), in the test
    /// set's label numbering; null when the test images are ranked among themselves, each query excluded.
    /// </summary>
    public IDataset? Reference { get; init; }

    /// <summary>One id per <see cref="Reference"/> row.</summary>
    public string[]? ReferenceIds { get; init; }

    /// <summary>The default evaluation: the test images as queries against <see cref="Reference"/> (or among themselves).</summary>
    public QueryReferenceSets Evaluation => new(Test, Reference);

    /// <summary>The paths the data was read from, for config.json.</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];

    /// <summary>The data fields of config.json (source, paths, split and input shape) set on <paramref name="config"/>.</summary>
    internal RunConfig Describe(RunConfig config) => config with
    {
        Data = Source,
        DataDir = Location?.Directory,
        DataOrigin = Location?.Origin.ToString(),
        DataPaths = Location is null ? [.. Paths] : null,
        Split = SplitDescription,
        InputChannels = DatasetSummary.Shape(Train).Channels,
        InputHeight = DatasetSummary.Shape(Train).Height,
        InputWidth = DatasetSummary.Shape(Train).Width,
    };
}
