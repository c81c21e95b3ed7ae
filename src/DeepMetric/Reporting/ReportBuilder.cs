using DeepMetric.Analysis;
using DeepMetric.Data;
using DeepMetric.Training;

namespace DeepMetric.Reporting;

/// <summary>
/// Builds one self-contained HTML report of one or more training runs (<see cref="ReportRun"/>): run summary with
/// the final metrics on unseen and seen classes (recomputed from the saved model), training curves, a Recall@K bar
/// chart, PCA and t-SNE maps of the test embeddings, positive/negative distance histograms (with the precision/recall
/// curve when the run holds a calibrated threshold), nearest-neighbour thumbnail grids, and for several runs a
/// comparison table with overlaid curves. Charts are inline SVG and images data-URI PNGs: the page loads nothing from
/// the network and needs no script. All sampling is seeded, so the same inputs give the same report.
/// </summary>
/// <remarks>
/// The work is split three ways: <see cref="ReportModel"/> loads and evaluates the runs and computes the maps and
/// samples, <see cref="ReportHtmlRenderer"/> draws them as HTML, <see cref="ChartPngExporter"/> renders the charts to PNG.
/// </remarks>
public sealed class ReportBuilder
{
    private static readonly int[] s_defaultKs = [1, 2, 4, 8, 16, 32];
    private readonly IDataset _unseen;
    private readonly IDataset? _seen;
    private IReadOnlyList<ReportChart> _charts = [];

    /// <summary>Creates a builder evaluating on the given test images.</summary>
    /// <param name="unseen">Test images of the classes not used in training (the open-set test set).</param>
    /// <param name="seen">Optional test images of the training classes, for the seen-classes metrics.</param>
    public ReportBuilder(IDataset unseen, IDataset? seen = null)
    {
        ArgumentNullException.ThrowIfNull(unseen);
        if (unseen.Count < 2)
        {
            throw new ArgumentException($"The unseen-classes test set needs at least 2 images, got {unseen.Count}.", nameof(unseen));
        }
        _unseen = unseen;
        _seen = seen is { Count: >= 2 } ? seen : null;
    }

    /// <summary>Most test points drawn in the PCA and t-SNE maps (a seeded subsample above it). Default 2 000.</summary>
    public int MapPoints { get; init; } = 2000;

    /// <summary>Positive and negative pairs each sampled for the distance histograms. Default 5 000.</summary>
    public int PairCount { get; init; } = 5000;

    /// <summary>Queries shown in the nearest-neighbour grid. Default 6.</summary>
    public int QueryCount { get; init; } = 6;

    /// <summary>Neighbours per query in the grid. Default 8.</summary>
    public int NeighbourCount { get; init; } = 8;

    /// <summary>Seed of every sample drawn for the report (map points, pairs, queries, t-SNE, k-means).</summary>
    public ulong Seed { get; init; }

    /// <summary>t-SNE settings (the seed is replaced by <see cref="Seed"/>; the perplexity is capped for small maps).</summary>
    public TSneOptions TSneOptions { get; init; } = new();

    /// <summary>Ks of the Recall@K bar chart. Default 1, 2, 4, 8, 16, 32.</summary>
    public IReadOnlyList<int> RecallKs { get; init; } = s_defaultKs;

    /// <summary>
    /// Builds a run's network before its weights are loaded. Default: <c>model</c> 'mlp' or 'cnn' and
    /// <c>embedding_size</c> of config.json, mapped to <see cref="Models.Mlp"/> / <see cref="Models.Cnn"/> for the test images' shape.
    /// </summary>
    public Func<ReportRun, EmbeddingModel>? ModelFactory { get; init; }

    /// <summary>Where the evaluation images came from, shown in the summary (e.g. "Fashion-MNIST from /data"); null shows nothing.</summary>
    public string? DataDescription { get; init; }

    /// <summary>
    /// A separate reference (gallery) set, in the unseen set's label numbering: the unseen images are then queries ranked
    /// against it (In-Shop Clothes) in the metrics and baselines. Null (default): ranked among themselves, query excluded.
    /// </summary>
    public IDataset? Reference { get; init; }

    /// <summary>The charts of the last <see cref="Build"/>, for export.</summary>
    public IReadOnlyList<ReportChart> Charts => _charts;

    /// <summary>Builds the report's HTML.</summary>
    /// <param name="runs">One or more runs; several add a comparison section.</param>
    /// <exception cref="InvalidDataException">A run's model cannot be built or loaded.</exception>
    public string Build(IReadOnlyList<ReportRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            throw new ArgumentException("At least one run is needed.", nameof(runs));
        }
        _charts = [];
        var model = new ReportModel(_unseen, _seen, Reference, ModelFactory, RecallKs, MapPoints, TSneOptions, PairCount, QueryCount, NeighbourCount, Seed);
        var evaluated = new List<EvaluatedRun>(runs.Count);
        foreach (var run in runs)
        {
            evaluated.Add(model.Evaluate(run));
        }
        var renderer = new ReportHtmlRenderer(model, DataDescription);
        string html = renderer.Render(runs, evaluated);
        _charts = renderer.Charts;
        return html;
    }

    /// <summary>Builds the report and writes it to <paramref name="path"/> atomically.</summary>
    /// <param name="runs">One or more runs.</param>
    /// <param name="path">Destination HTML file; its directory must exist.</param>
    public void Write(IReadOnlyList<ReportRun> runs, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RunDirectory.WriteTextAtomically(path, Build(runs));
    }

    /// <summary>
    /// Renders every chart of the last <see cref="Build"/> to <c>NAME.png</c> in <paramref name="directory"/> with headless
    /// Chromium (<see cref="HeadlessChromium"/>).
    /// </summary>
    /// <param name="directory">Output directory (created).</param>
    /// <param name="chromium">Chromium executable; found at the usual paths when null.</param>
    /// <returns>The PNG files written.</returns>
    /// <exception cref="InvalidOperationException">Nothing was built yet, Chromium is not installed, or a chart failed to render.</exception>
    public IReadOnlyList<string> ExportPng(string directory, string? chromium = null) => ChartPngExporter.Export(_charts, directory, chromium);
}
