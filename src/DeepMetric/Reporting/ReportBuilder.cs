using DeepMetric.Calibration;
using System.Globalization;
using System.Text;
using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Tensors;

namespace DeepMetric.Reporting;

/// <summary>
/// Builds one self-contained HTML report of one or more training runs (<see cref="ReportRun"/>): run summary with
/// the final metrics on unseen and seen classes (recomputed from the saved model), training curves, a Recall@K bar
/// chart, PCA and t-SNE maps of the test embeddings, positive/negative distance histograms (with the precision/recall
/// curve when the run holds a calibrated threshold), nearest-neighbour thumbnail grids, and for several runs a
/// comparison table with overlaid curves. Charts are inline SVG and images data-URI PNGs: the page loads nothing from
/// the network and needs no script. All sampling is seeded, so the same inputs give the same report.
/// </summary>
public sealed class ReportBuilder
{
    private static readonly int[] s_defaultKs = [1, 2, 4, 8, 16, 32];
    private readonly IDataset _unseen;
    private Metrics? _rawPixels;
    private readonly IDataset? _seen;
    private readonly List<ReportChart> _charts = [];

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
        _charts.Clear();
        var evaluated = new List<Evaluated>(runs.Count);
        foreach (var run in runs)
        {
            evaluated.Add(Evaluate(run));
        }
        var html = new StringBuilder(1 << 20);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
            .Append(Enc(runs.Count == 1 ? $"DeepMetric report: {runs[0].Name}" : $"DeepMetric report: {runs.Count} runs"))
            .Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n<h1>")
            .Append(Enc(runs.Count == 1 ? $"Run {runs[0].Name}" : $"Comparison of {runs.Count} runs")).Append("</h1>\n");
        html.Append("<p class=\"sub\">").Append(Enc(string.Join(" · ", runs.Select(r => r.Directory)))).Append("</p>\n");
        if (runs.Count > 1)
        {
            AppendComparison(html, evaluated);
        }
        for (int r = 0; r < evaluated.Count; r++)
        {
            AppendRun(html, evaluated[r], runs.Count > 1 ? $"run{r + 1}-" : "");
        }
        html.Append("<footer>Generated by DeepMetric. Self-contained: inline SVG charts and PNG images, no network access.</footer>\n</body>\n</html>\n");
        return html.ToString();
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
    public IReadOnlyList<string> ExportPng(string directory, string? chromium = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (_charts.Count == 0)
        {
            throw new InvalidOperationException("Build the report before exporting its charts.");
        }
        chromium ??= HeadlessChromium.FindExecutable()
            ?? throw new InvalidOperationException("PNG export needs Chromium (looked for /usr/bin/chromium and /usr/bin/chromium-browser); install it, e.g. 'apt-get install -y chromium'.");
        Directory.CreateDirectory(directory);
        string temp = Directory.CreateTempSubdirectory("deepmetric-png-").FullName;
        var written = new List<string>(_charts.Count);
        try
        {
            foreach (var chart in _charts)
            {
                string svg = Path.Combine(temp, chart.Name + ".svg");
                File.WriteAllText(svg, chart.Svg);
                string png = Path.Combine(directory, chart.Name + ".png");
                if (!HeadlessChromium.TryScreenshot(svg, png, chart.Width, chart.Height, chromium))
                {
                    throw new InvalidOperationException($"Chromium ({chromium}) failed to render the chart '{chart.Name}'.");
                }
                written.Add(png);
            }
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
        return written;
    }

    /// <summary>The comparison table: a header row, then one row per run.</summary>
    internal static List<string[]> ComparisonRows(IReadOnlyList<RunSummary> runs, IReadOnlyList<int> ks)
    {
        var header = new List<string> { "run", "recipe", "parameters", "train time", "P@1" };
        header.AddRange(ks.Where(k => k <= 8).Select(k => $"R@{k}"));
        header.AddRange(["R-Precision", "MAP@R", "NMI", "AMI", "seen P@1", "seen MAP@R"]);
        var rows = new List<string[]> { header.ToArray() };
        foreach (var r in runs)
        {
            var row = new List<string> { r.Name, r.Recipe, r.Parameters.ToString("N0", CultureInfo.InvariantCulture), Seconds(r.TrainSeconds), F(r.Unseen.PrecisionAt1) };
            row.AddRange(ks.Where(k => k <= 8).Select(k => F(r.Unseen.Recall(k))));
            row.AddRange([F(r.Unseen.RPrecision), F(r.Unseen.MapAtR), F(r.UnseenClustering.Nmi), F(r.UnseenClustering.Ami),
                r.Seen is null ? "–" : F(r.Seen.PrecisionAt1), r.Seen is null ? "–" : F(r.Seen.MapAtR)]);
            rows.Add(row.ToArray());
        }
        return rows;
    }

    /// <summary>
    /// Whether loss curves are on such different scales (median loss of one run more than 5 times another's) that a
    /// shared axis would flatten some of them; the comparison then draws one chart per run.
    /// </summary>
    internal static bool LossScalesDiffer(IEnumerable<double[]> losses)
    {
        var medians = new List<double>();
        foreach (var y in losses)
        {
            var finite = y.Where(double.IsFinite).Select(Math.Abs).Order().ToArray();
            if (finite.Length > 0)
            {
                medians.Add(finite[finite.Length / 2]);
            }
        }
        if (medians.Count < 2)
        {
            return false;
        }
        double lo = medians.Min(), hi = medians.Max();
        return hi > 0 && (lo <= 0 || hi / lo > 5);
    }

    /// <summary>One-line recipe of a run from its config.</summary>
    internal static string Recipe(ReportRun run)
    {
        string Get(string key) => run.Setting(key) ?? "?";
        var s = new StringBuilder();
        s.Append(Get("model")).Append(", emb ").Append(Get("embedding_size")).Append(" · ").Append(Get("loss")).Append(" + ").Append(Get("miner"))
            .Append(" · ").Append(Get("epochs")).Append("×").Append(Get("iterations_per_epoch")).Append(" it, batch ").Append(Get("batch_size"))
            .Append(" · lr ").Append(Get("lr"));
        if (run.Setting("scheduler") is { } sched && sched != "none")
        {
            s.Append(' ').Append(sched);
        }
        return s.ToString();
    }

    private Evaluated Evaluate(ReportRun run)
    {
        EmbeddingModel model;
        try
        {
            if (ModelFactory is null)
            {
                model = ModelLoader.Load(run.ModelPath).Model;
            }
            else
            {
                model = ModelFactory(run);
                model.Load(run.ModelPath);
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"Cannot load the model of run '{run.Directory}' ({Path.GetFileName(run.ModelPath)}): {e.Message}", e);
        }
        var ks = RecallKs.Where(k => k < _unseen.Count).ToArray();
        var unseenEmb = model.Embed(_unseen);
        var sets = new QueryReferenceSets(_unseen, Reference);
        var unseen = sets.Compute(unseenEmb, Reference is null ? null : model.Embed(Reference), ks);
        var unseenClusters = ClusteringMetrics.Compute(unseenEmb, _unseen.Labels, Seed);
        Metrics? seen = null;
        ClusteringScores? seenClusters = null;
        if (_seen is not null)
        {
            var seenEmb = model.Embed(_seen);
            seen = RetrievalMetrics.Compute(seenEmb, _seen.Labels, RecallKs.Where(k => k < _seen.Count).ToArray());
            seenClusters = ClusteringMetrics.Compute(seenEmb, _seen.Labels, Seed);
        }
        double trainSeconds = run.FinalMetrics.TryGetValue("train_seconds", out double t) ? t
            : run.Epochs.Count > 0 ? run.Epochs.Sum(e => e.TrainSeconds) : double.NaN;
        var summary = new RunSummary(run.Name, Recipe(run), model.ParameterCount, trainSeconds, unseen, unseenClusters, seen, seenClusters);
        return new Evaluated(run, summary, unseenEmb.ToArray(), unseenEmb.Dim(1), ks);
    }

    private void AppendComparison(StringBuilder html, List<Evaluated> runs)
    {
        html.Append("<section id=\"comparison\">\n<h2>Comparison</h2>\n");
        AppendTable(html, ComparisonRows([.. runs.Select(r => r.Summary)], runs[0].Ks), "Unseen classes unless marked seen.");
        html.Append("<div class=\"grid\">\n");
        var loss = new LineChart { Title = "Training loss (smoothed)", XLabel = "iteration", YLabel = "loss", Smoothing = 0.9 };
        var map = new LineChart { Title = "Validation MAP@R per epoch", XLabel = "epoch", YLabel = "MAP@R" };
        var losses = new List<(string Name, double[] X, double[] Y)>();
        foreach (var r in runs)
        {
            var (x, y) = LossSeries(r.Run);
            if (x.Length > 0)
            {
                loss.Add(r.Run.Name, x, y);
                losses.Add((r.Run.Name, x, y));
            }
            var val = r.Run.Epochs.Where(e => e.Validation is not null).ToArray();
            if (val.Length > 0)
            {
                map.Add(r.Run.Name, [.. val.Select(e => (double)e.Epoch)], [.. val.Select(e => e.Validation!.MapAtR)]);
            }
        }
        if (LossScalesDiffer(losses.Select(l => l.Y)))
        {
            // Losses of different kinds (0.05 against 1.5) on one axis would flatten the small one: one chart per run.
            for (int i = 0; i < losses.Count; i++)
            {
                var single = new LineChart { Title = $"Training loss: {losses[i].Name}", XLabel = "iteration", YLabel = "loss", Smoothing = 0.9 };
                single.Add(losses[i].Name, losses[i].X, losses[i].Y);
                AppendChart(html, Invariant($"compare-loss-{i}"), single.ToSvg(), single.Width, single.Height, null);
            }
        }
        else
        {
            AppendChart(html, "compare-loss", loss.Series.Count > 0 ? loss.ToSvg() : null, loss.Width, loss.Height, "no loss logged");
        }
        AppendChart(html, "compare-map", map.Series.Count > 0 ? map.ToSvg() : null, map.Width, map.Height, "no per-epoch validation in these runs (train with --validation-fraction)");
        var ks = runs[0].Ks;
        var bars = new BarChart([.. ks.Select(k => k.ToString(CultureInfo.InvariantCulture))])
        { Title = "Recall@K, unseen classes", XLabel = "K", YLabel = "Recall@K", YMax = 1, ShowValues = false };
        foreach (var r in runs)
        {
            bars.Add(r.Run.Name, [.. ks.Select(k => r.Summary.Unseen.RecallAt.TryGetValue(k, out double v) ? v : double.NaN)]);
        }
        AppendChart(html, "compare-recall", bars.ToSvg(), bars.Width, bars.Height, null);
        html.Append("</div>\n</section>\n");
    }

    private void AppendRun(StringBuilder html, Evaluated e, string prefix)
    {
        var run = e.Run;
        var s = e.Summary;
        html.Append("<section id=\"").Append(prefix).Append("summary\">\n<h2>").Append(Enc(prefix.Length > 0 ? $"Run {run.Name}: summary" : "Summary")).Append("</h2>\n");
        html.Append("<div class=\"cols\">\n<div>\n<h3>Recipe</h3>\n");
        html.Append("<p>").Append(Enc(s.Recipe)).Append("</p>\n");
        AppendTable(html, [["setting", "value"], .. run.Config.Select(kv => new[] { kv.Key, kv.Value })], null, text: true);
        html.Append("</div>\n<div>\n<h3>Final metrics</h3>\n");
        var metricRows = new List<string[]> { _seen is null ? ["metric", "unseen classes"] : ["metric", "unseen classes", "seen classes"] };
        void Row(string name, double unseen, double? seen) =>
            metricRows.Add(_seen is null ? [name, F(unseen)] : [name, F(unseen), seen is double v ? F(v) : "–"]);
        Row("P@1", s.Unseen.PrecisionAt1, s.Seen?.PrecisionAt1);
        foreach (int k in e.Ks)
        {
            Row($"Recall@{k}", s.Unseen.Recall(k), s.Seen is { } m && m.RecallAt.TryGetValue(k, out double v) ? v : null);
        }
        Row("R-Precision", s.Unseen.RPrecision, s.Seen?.RPrecision);
        Row("MAP@R", s.Unseen.MapAtR, s.Seen?.MapAtR);
        Row("NMI", s.UnseenClustering.Nmi, s.SeenClustering?.Nmi);
        Row("AMI", s.UnseenClustering.Ami, s.SeenClustering?.Ami);
        AppendTable(html, metricRows, Invariant($"Leave-one-out retrieval among {_unseen.Count:N0} unseen-class test images ({ClassList(_unseen)})")
            + (_seen is null ? "." : Invariant($" and {_seen.Count:N0} seen-class test images ({ClassList(_seen)}).")) + " NMI/AMI of k-means clusters.");
        AppendBaselines(html, e);
        if (DataDescription is not null)
        {
            html.Append("<p class=\"note\">Evaluation data: ").Append(Enc(DataDescription)).Append("</p>\n");
        }
        html.Append("<h3>Model and time</h3>\n");
        AppendTable(html,
        [
            ["item", "value"],
            ["parameters", s.Parameters.ToString("N0", CultureInfo.InvariantCulture)],
            ["embedding size", e.Dim.ToString(CultureInfo.InvariantCulture)],
            ["training time", Seconds(s.TrainSeconds)],
            ["epochs completed", run.Epochs.Count.ToString(CultureInfo.InvariantCulture)],
            ["iterations logged", run.Iterations.Count.ToString(CultureInfo.InvariantCulture)],
            ["weights", Path.GetFileName(run.ModelPath)],
        ], null);
        html.Append("</div>\n</div>\n</section>\n");

        html.Append("<section id=\"").Append(prefix).Append("curves\">\n<h2>Training curves</h2>\n<div class=\"grid\">\n");
        AppendCurves(html, e, prefix);
        html.Append("</div>\n</section>\n");

        html.Append("<section id=\"").Append(prefix).Append("embeddings\">\n<h2>Test embeddings</h2>\n<div class=\"grid\">\n");
        AppendRecall(html, e, prefix);
        AppendMaps(html, e, prefix);
        html.Append("</div>\n</section>\n");

        html.Append("<section id=\"").Append(prefix).Append("distances\">\n<h2>Distances</h2>\n<div class=\"grid\">\n");
        AppendDistances(html, e, prefix);
        html.Append("</div>\n</section>\n");

        html.Append("<section id=\"").Append(prefix).Append("neighbours\">\n<h2>Nearest neighbours</h2>\n");
        AppendNeighbours(html, e);
        html.Append("</section>\n");
    }

    // The trained model beside its starting point (the untrained network, recorded when the run started) and beside
    // raw pixels, as the README asks: a learned embedding is only worth its training if it beats both.
    private void AppendBaselines(StringBuilder html, Evaluated e)
    {
        _rawPixels ??= new QueryReferenceSets(_unseen, Reference).RawPixelMetrics(e.Ks);
        var untrained = e.Run.Baseline?.ToMetrics();
        var raw = _rawPixels;
        var rows = new List<string[]> { new[] { "metric", "trained", "untrained", "raw pixels" } };
        void Row(string name, Func<Metrics, double> value) =>
            rows.Add([name, F(value(e.Summary.Unseen)), untrained is null ? "–" : F(value(untrained)), F(value(raw))]);
        Row("P@1", m => m.PrecisionAt1);
        Row("Recall@1", m => m.RecallAt.TryGetValue(1, out double r) ? r : double.NaN);
        Row("R-Precision", m => m.RPrecision);
        Row("MAP@R", m => m.MapAtR);
        html.Append("<h3>Against the baselines</h3>\n");
        AppendTable(html, rows, "Unseen classes. Untrained: the network before training (recorded in the run directory when the run started; – for older runs). Raw pixels: Euclidean distance between the flattened inputs.");
    }

    private void AppendCurves(StringBuilder html, Evaluated e, string prefix)
    {
        var run = e.Run;
        var (x, y) = LossSeries(run);
        var loss = new LineChart { Title = "Training loss", XLabel = run.Iterations.Count > 0 ? "iteration" : "epoch (mean loss)", YLabel = "loss", Smoothing = x.Length >= 20 ? 0.9 : 0 };
        if (x.Length > 0)
        {
            loss.Add("loss", x, y);
        }
        AppendChart(html, prefix + "loss", x.Length > 0 ? loss.ToSvg() : null, loss.Width, loss.Height, "no loss logged");

        var it = run.Iterations;
        var withTuples = it.Where(r => r.MinedTuples is not null).ToArray();
        var tuples = new LineChart { Title = "Mined tuples per batch", XLabel = "iteration", YLabel = "tuples", Smoothing = withTuples.Length >= 20 ? 0.8 : 0 };
        if (withTuples.Length > 0)
        {
            tuples.Add("tuples", [.. withTuples.Select(r => (double)r.Iteration)], [.. withTuples.Select(r => (double)r.MinedTuples!.Value)]);
        }
        AppendChart(html, prefix + "tuples", withTuples.Length > 0 ? tuples.ToSvg() : null, tuples.Width, tuples.Height,
            it.Count == 0 ? "no iterations.jsonl in this run" : "no miner in this run");

        var lr = new LineChart { Title = "Learning rate", XLabel = it.Count > 0 ? "iteration" : "epoch", YLabel = "lr" };
        if (it.Count > 0)
        {
            lr.Add("lr", [.. it.Select(r => (double)r.Iteration)], [.. it.Select(r => r.LearningRate)]);
        }
        else if (run.Epochs.Count > 0)
        {
            lr.Add("lr", [.. run.Epochs.Select(r => (double)r.Epoch)], [.. run.Epochs.Select(r => (double)r.LearningRate)]);
        }
        AppendChart(html, prefix + "lr", lr.Series.Count > 0 ? lr.ToSvg() : null, lr.Width, lr.Height, "no learning rate logged");

        var val = run.Epochs.Where(r => r.Validation is not null).ToArray();
        var metrics = new LineChart { Title = "Validation metrics per epoch", XLabel = "epoch", YLabel = "value" };
        if (val.Length > 0)
        {
            double[] epochs = [.. val.Select(r => (double)r.Epoch)];
            metrics.Add("P@1", epochs, [.. val.Select(r => r.Validation!.PrecisionAt1)]);
            foreach (int k in val[0].Validation!.RecallAt.Keys.Where(k => k > 1))
            {
                metrics.Add($"R@{k}", epochs, [.. val.Select(r => r.Validation!.RecallAt.TryGetValue(k, out double v) ? v : double.NaN)]);
            }
            metrics.Add("R-Precision", epochs, [.. val.Select(r => r.Validation!.RPrecision)]);
            metrics.Add("MAP@R", epochs, [.. val.Select(r => r.Validation!.MapAtR)]);
        }
        AppendChart(html, prefix + "validation", val.Length > 0 ? metrics.ToSvg() : null, metrics.Width, metrics.Height,
            "no per-epoch evaluation in this run (train with --validation-fraction to evaluate every epoch)");
    }

    private void AppendRecall(StringBuilder html, Evaluated e, string prefix)
    {
        var bars = new BarChart([.. e.Ks.Select(k => k.ToString(CultureInfo.InvariantCulture))])
        { Title = "Recall@K", XLabel = "K", YLabel = "Recall@K", YMax = 1 };
        bars.Add("unseen classes", [.. e.Ks.Select(k => e.Summary.Unseen.Recall(k))]);
        if (e.Summary.Seen is { } seen)
        {
            bars.Add("seen classes", [.. e.Ks.Select(k => seen.RecallAt.TryGetValue(k, out double v) ? v : double.NaN)]);
        }
        AppendChart(html, prefix + "recall", bars.ToSvg(), bars.Width, bars.Height, null);
    }

    private void AppendMaps(StringBuilder html, Evaluated e, string prefix)
    {
        int n = _unseen.Count;
        int[] pick = ReportData.Subsample(n, MapPoints, Seed);
        var data = new float[pick.Length * e.Dim];
        var labels = new int[pick.Length];
        for (int i = 0; i < pick.Length; i++)
        {
            e.Embeddings.AsSpan(pick[i] * e.Dim, e.Dim).CopyTo(data.AsSpan(i * e.Dim));
            labels[i] = _unseen.Labels[pick[i]];
        }
        string note = pick.Length < n ? Invariant($"{pick.Length:N0} of {n:N0} test points (seeded sample)") : Invariant($"all {n:N0} test points");
        var pca = Pca.Fit(data, pick.Length, e.Dim);
        var pcaXy = pca.Transform(data, pick.Length);
        var ratio = pca.ExplainedVarianceRatio;
        var pcaPlot = new ScatterPlot(pcaXy, labels, _unseen.ClassNames)
        {
            Title = $"PCA, {note}",
            XLabel = Invariant($"PC1 ({ratio[0]:P0} of variance)"),
            YLabel = ratio.Count > 1 ? Invariant($"PC2 ({ratio[1]:P0})") : "PC2",
        };
        AppendChart(html, prefix + "pca", pcaPlot.ToSvg(), pcaPlot.Width, pcaPlot.Height, null);
        if (pick.Length >= 4 && pick.Length <= TSne.MaxPoints)
        {
            var options = TSneOptions with { Seed = Seed, Perplexity = Math.Min(TSneOptions.Perplexity, (pick.Length - 1) / 3.0) };
            var xy = TSne.Embed(data, pick.Length, e.Dim, options);
            var plot = new ScatterPlot(xy, labels, _unseen.ClassNames)
            {
                Title = Invariant($"t-SNE (perplexity {options.Perplexity:0.#}), {note}"),
                XLabel = "t-SNE 1",
                YLabel = "t-SNE 2",
            };
            AppendChart(html, prefix + "tsne", plot.ToSvg(), plot.Width, plot.Height, null);
        }
    }

    private void AppendDistances(StringBuilder html, Evaluated e, string prefix)
    {
        var (pos, neg) = ReportData.SamplePairs(e.Embeddings, e.Dim, _unseen.Labels, PairCount, Seed);
        var threshold = e.Run.Threshold;
        var hist = new Histogram
        {
            Title = Invariant($"Pair distances, unseen classes ({pos.Distances.Length:N0} + {neg.Distances.Length:N0} sampled pairs)"),
            XLabel = "Euclidean distance",
            YLabel = "density",
            Threshold = threshold,
            ThresholdLabel = threshold is double t ? Invariant($"threshold {t:G4}") : null,
        };
        hist.Add("same class", pos.Distances).Add("different class", neg.Distances);
        AppendChart(html, prefix + "distances", hist.ToSvg(), hist.Width, hist.Height, null);
        if (threshold is double chosen)
        {
            var distances = new double[pos.Distances.Length + neg.Distances.Length];
            var isPositive = new bool[distances.Length];
            pos.Distances.CopyTo(distances, 0);
            neg.Distances.CopyTo(distances, pos.Distances.Length);
            isPositive.AsSpan(0, pos.Distances.Length).Fill(true);
            var pr = new PrecisionRecallCurve { Title = Invariant($"Precision/recall of 'same class iff distance ≤ t' (chosen t = {chosen:G4})"), ChosenThreshold = chosen };
            pr.Add("sampled pairs", PrecisionRecallCurve.Compute(distances, isPositive));
            AppendChart(html, prefix + "precision-recall", pr.ToSvg(), pr.Width, pr.Height, null);
        }
        else
        {
            html.Append("<p class=\"note\">No calibrated threshold next to the model (<code>deepmetric calibrate --weights RUN_DIR/model.safetensors</code> writes one), ")
                .Append("so no precision/recall curve with a chosen threshold.</p>\n");
        }
    }

    private void AppendNeighbours(StringBuilder html, Evaluated e)
    {
        int n = _unseen.Count;
        int[] queries = ReportData.Subsample(n, QueryCount, Seed ^ 0x9E3779B97F4A7C15UL);
        var neighbours = ReportData.NearestNeighbours(e.Embeddings, e.Dim, n, queries, NeighbourCount);
        var rows = new List<ThumbnailRow>(queries.Length);
        int correct = 0, total = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            var images = new List<RasterImage>(neighbours[q].Length);
            var ok = new List<bool>(neighbours[q].Length);
            foreach (int j in neighbours[q])
            {
                images.Add(Thumbnail(j));
                bool same = _unseen.Labels[j] == _unseen.Labels[queries[q]];
                ok.Add(same);
                correct += same ? 1 : 0;
                total++;
            }
            rows.Add(new ThumbnailRow(Thumbnail(queries[q]), images, ok));
        }
        var grid = ThumbnailGrid.Build(rows, scale: _unseen is ImageFolderDataset ? 1 : 2);
        html.Append("<p>").Append(Enc(Invariant($"{queries.Length} seeded test queries (blue border) and their {NeighbourCount} nearest test images; green: same class, red: another class ({correct} of {total} correct). Query classes: {string.Join(", ", queries.Select(q => _unseen.ClassNames[_unseen.Labels[q]]))}.")))
            .Append("</p>\n<img class=\"grid-img\" alt=\"nearest-neighbour grid\" width=\"").Append(grid.Width.ToString(CultureInfo.InvariantCulture))
            .Append("\" height=\"").Append(grid.Height.ToString(CultureInfo.InvariantCulture)).Append("\" src=\"")
            .Append(PngWriter.ToDataUri(grid.ToPng())).Append("\">\n");
    }

    // Image files as colour photo thumbnails; images [C, H, W] as they are; a feature vector [D] as a 1×D strip.
    private RasterImage Thumbnail(int index)
    {
        if (_unseen is ImageFolderDataset files)
        {
            return ThumbnailGrid.Photo(files.Paths[index]);
        }
        var shape = _unseen.ItemShape;
        var item = _unseen.Batch([index], BatchRequest.Evaluation);
        return shape.Length == 3
            ? RasterImage.FromPlanar(item.ReadOnlySpan, shape[0], shape[1], shape[2])
            : RasterImage.FromPlanar(item.ReadOnlySpan, 1, 1, item.Size);
    }

    private void AppendChart(StringBuilder html, string name, string? svg, int width, int height, string? emptyNote)
    {
        if (svg is null)
        {
            html.Append("<figure class=\"empty\"><p class=\"note\">").Append(Enc(emptyNote ?? "no data")).Append("</p></figure>\n");
            return;
        }
        _charts.Add(new ReportChart(name, svg, width, height));
        html.Append("<figure>").Append(svg).Append("</figure>\n");
    }

    private static void AppendTable(StringBuilder html, IReadOnlyList<string[]> rows, string? caption, bool text = false)
    {
        html.Append(text ? "<table class=\"text\">" : "<table>");
        if (caption is not null)
        {
            html.Append("<caption>").Append(Enc(caption)).Append("</caption>");
        }
        html.Append("<thead><tr>");
        foreach (string h in rows[0])
        {
            html.Append("<th>").Append(Enc(h)).Append("</th>");
        }
        html.Append("</tr></thead><tbody>\n");
        for (int r = 1; r < rows.Count; r++)
        {
            html.Append("<tr>");
            foreach (string c in rows[r])
            {
                html.Append("<td>").Append(Enc(c)).Append("</td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</tbody></table>\n");
    }

    // Loss per iteration from iterations.jsonl, else the mean loss per epoch of metrics.jsonl.
    private static (double[] X, double[] Y) LossSeries(ReportRun run) => run.Iterations.Count > 0
        ? ([.. run.Iterations.Select(r => (double)r.Iteration)], [.. run.Iterations.Select(r => r.Loss)])
        : ([.. run.Epochs.Select(r => (double)r.Epoch)], [.. run.Epochs.Select(r => r.MeanLoss)]);

    private static string ClassList(IDataset data)
    {
        var present = new bool[data.ClassNames.Count];
        foreach (int label in data.Labels)
        {
            present[label] = true;
        }
        var names = new List<string>();
        for (int c = 0; c < present.Length; c++)
        {
            if (present[c])
            {
                names.Add(data.ClassNames[c]);
            }
        }
        return string.Join(", ", names);
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("F4", CultureInfo.InvariantCulture) : "–";

    private static string Seconds(double s) => double.IsFinite(s) ? Invariant($"{s:F1} s") : "–";

    // Only the markup characters: the page is UTF-8, so other text (·, ×, names) stays readable in the source.
    private static string Enc(string s)
    {
        if (s.AsSpan().IndexOfAny("&<>\"'") < 0)
        {
            return s;
        }
        var b = new StringBuilder(s.Length + 16);
        foreach (char c in s)
        {
            _ = c switch
            {
                '&' => b.Append("&amp;"),
                '<' => b.Append("&lt;"),
                '>' => b.Append("&gt;"),
                '"' => b.Append("&quot;"),
                '\'' => b.Append("&#39;"),
                _ => b.Append(c),
            };
        }
        return b.ToString();
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private const string Css =
        "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1340px;padding:16px 24px;color:#222;background:#fff}"
        + "h1{font-size:24px;margin:8px 0 2px}h2{font-size:19px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}h3{font-size:15px;margin:10px 0 6px}"
        + ".sub{color:#666;margin-top:0;word-break:break-all}.note{color:#777;font-style:italic}"
        + "table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}caption{caption-side:bottom;text-align:left;color:#666;font-size:12px;padding-top:4px;max-width:560px}"
        + "th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}td{text-align:right}td:first-child,table.text td{text-align:left}th{background:#f4f6f8}"
        + ".cols{display:flex;flex-wrap:wrap;gap:32px}.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}"
        + "figure{margin:0;border:1px solid #eee;border-radius:4px;padding:4px;background:#fff}figure svg{display:block;width:100%;height:auto}"
        // Charts share each row of the page: two side by side on a wide page, one per row on a narrow one.
        + ".grid>figure{flex:1 1 560px;max-width:100%;box-sizing:border-box}"
        + "figure.empty{box-sizing:border-box;width:650px;padding:12px 16px;background:#fafafa}figure.empty p{margin:0}"
        + ".grid-img{image-rendering:pixelated;border:1px solid #eee;max-width:100%;height:auto}"
        + "footer{margin-top:32px;color:#888;font-size:12px}";

    private sealed record Evaluated(ReportRun Run, RunSummary Summary, float[] Embeddings, int Dim, int[] Ks);
}
