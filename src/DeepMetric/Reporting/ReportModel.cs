using System.Text;
using DeepMetric.Analysis;
using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Evaluation;
using DeepMetric.Imaging;
using DeepMetric.Training;
using DeepMetric.Training.Recipes;

namespace DeepMetric.Reporting;

/// <summary>
/// What a report shows, computed and not yet drawn: each run's model loaded and evaluated on the test images, the
/// baselines, the seeded PCA/t-SNE maps, distance pairs and nearest-neighbour thumbnails.
/// </summary>
/// <param name="unseen">Test images of the classes not used in training.</param>
/// <param name="seen">Test images of the training classes, or null.</param>
/// <param name="reference">A separate reference (gallery) set for the unseen queries, or null (ranked among themselves).</param>
/// <param name="modelFactory">Builds a run's network before its weights are loaded; null reads it from the weights file.</param>
/// <param name="recallKs">Ks of Recall@K.</param>
/// <param name="mapPoints">Most points in the PCA and t-SNE maps.</param>
/// <param name="tsneOptions">t-SNE settings (seed replaced, perplexity capped).</param>
/// <param name="pairCount">Positive and negative pairs each sampled.</param>
/// <param name="queryCount">Queries in the neighbour grid.</param>
/// <param name="neighbourCount">Neighbours per query.</param>
/// <param name="seed">Seed of every sample.</param>
internal sealed class ReportModel(IDataset unseen, IDataset? seen, IDataset? reference, Func<ReportRun, EmbeddingModel>? modelFactory, IReadOnlyList<int> recallKs,
    int mapPoints, TSneOptions tsneOptions, int pairCount, int queryCount, int neighbourCount, ulong seed)
{
    private Metrics? _rawPixels;

    public IDataset Unseen => unseen;

    public IDataset? Seen => seen;

    public int NeighbourCount => neighbourCount;

    /// <summary>Loads a run's model and evaluates it on the unseen (and seen) test images.</summary>
    /// <exception cref="InvalidDataException">The run's model cannot be built or loaded.</exception>
    public EvaluatedRun Evaluate(ReportRun run)
    {
        EmbeddingModel model;
        try
        {
            if (modelFactory is null)
            {
                model = ModelLoader.Load(run.ModelPath).Model;
            }
            else
            {
                model = modelFactory(run);
                model.Load(run.ModelPath);
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"Cannot load the model of run '{run.Directory}' ({Path.GetFileName(run.ModelPath)}): {e.Message}", e);
        }
        var ks = recallKs.Where(k => k < Unseen.Count).ToArray();
        var unseenEmb = model.Embed(Unseen);
        var sets = new QueryReferenceSets(Unseen, reference);
        var unseen = sets.Compute(unseenEmb, reference is null ? null : model.Embed(reference), ks);
        var unseenClusters = ClusteringMetrics.Compute(unseenEmb, Unseen.Labels, seed);
        Metrics? seen = null;
        ClusteringScores? seenClusters = null;
        if (Seen is not null)
        {
            var seenEmb = model.Embed(Seen);
            seen = RetrievalMetrics.Compute(seenEmb, Seen.Labels, recallKs.Where(k => k < Seen.Count).ToArray());
            seenClusters = ClusteringMetrics.Compute(seenEmb, Seen.Labels, seed);
        }
        double trainSeconds = run.FinalMetrics.TryGetValue("train_seconds", out double t) ? t
            : run.Epochs.Count > 0 ? run.Epochs.Sum(e => e.TrainSeconds) : double.NaN;
        var summary = new RunSummary(run.Name, Recipe(run), model.ParameterCount, trainSeconds, unseen, unseenClusters, seen, seenClusters);
        return new EvaluatedRun(run, summary, unseenEmb.ToArray(), unseenEmb.Dim(1), ks);
    }

    /// <summary>Raw-pixel retrieval on the unseen classes, computed once (with the Ks of the first run asking).</summary>
    public Metrics RawPixels(int[] ks) => _rawPixels ??= new QueryReferenceSets(Unseen, reference).RawPixelMetrics(ks);

    /// <summary>PCA and (when the sample size allows) t-SNE maps of a seeded sample of the run's test embeddings.</summary>
    public EmbeddingMaps Maps(EvaluatedRun e)
    {
        int n = Unseen.Count;
        int[] pick = ReportData.Subsample(n, mapPoints, seed);
        var data = new float[pick.Length * e.Dim];
        var labels = new int[pick.Length];
        for (int i = 0; i < pick.Length; i++)
        {
            e.Embeddings.AsSpan(pick[i] * e.Dim, e.Dim).CopyTo(data.AsSpan(i * e.Dim));
            labels[i] = Unseen.Labels[pick[i]];
        }
        var pca = Pca.Fit(data, pick.Length, e.Dim);
        var pcaXy = pca.Transform(data, pick.Length);
        float[]? tsne = null;
        double perplexity = tsneOptions.Perplexity;
        if (pick.Length >= 4 && pick.Length <= TSne.MaxPoints)
        {
            var options = tsneOptions with { Seed = seed, Perplexity = Math.Min(tsneOptions.Perplexity, (pick.Length - 1) / 3.0) };
            tsne = TSne.Embed(data, pick.Length, e.Dim, options);
            perplexity = options.Perplexity;
        }
        return new EmbeddingMaps(pick.Length, n, labels, pcaXy, pca.ExplainedVarianceRatio, tsne, perplexity);
    }

    /// <summary>Seeded same-class and different-class pairs of the run's test embeddings, with their distances.</summary>
    public (PairSample Positive, PairSample Negative) Pairs(EvaluatedRun e) =>
        ReportData.SamplePairs(e.Embeddings, e.Dim, Unseen.Labels, pairCount, seed);

    /// <summary>Seeded test queries and their nearest test images (by the run's embeddings) as thumbnails.</summary>
    public NeighbourSample Neighbours(EvaluatedRun e)
    {
        int n = Unseen.Count;
        int[] queries = ReportData.Subsample(n, queryCount, seed ^ 0x9E3779B97F4A7C15UL);
        var neighbours = ReportData.NearestNeighbours(e.Embeddings, e.Dim, n, queries, neighbourCount);
        var rows = new List<ThumbnailRow>(queries.Length);
        int correct = 0, total = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            var images = new List<RasterImage>(neighbours[q].Length);
            var ok = new List<bool>(neighbours[q].Length);
            foreach (int j in neighbours[q])
            {
                images.Add(Thumbnail(j));
                bool same = Unseen.Labels[j] == Unseen.Labels[queries[q]];
                ok.Add(same);
                correct += same ? 1 : 0;
                total++;
            }
            rows.Add(new ThumbnailRow(Thumbnail(queries[q]), images, ok));
        }
        return new NeighbourSample(queries, rows, correct, total);
    }

    /// <summary>One-line recipe of a run from its config.</summary>
    public static string Recipe(ReportRun run)
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

    /// <summary>Loss per iteration from iterations.jsonl, else the mean loss per epoch of metrics.jsonl.</summary>
    public static (double[] X, double[] Y) LossSeries(ReportRun run) => run.Iterations.Count > 0
        ? ([.. run.Iterations.Select(r => (double)r.Iteration)], [.. run.Iterations.Select(r => r.Loss)])
        : ([.. run.Epochs.Select(r => (double)r.Epoch)], [.. run.Epochs.Select(r => r.MeanLoss)]);

    /// <summary>The names of the classes present in a dataset, in label order.</summary>
    public static string ClassList(IDataset data)
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

    // Image files as colour photo thumbnails; images [C, H, W] as they are; a feature vector [D] as a 1×D strip.
    private RasterImage Thumbnail(int index)
    {
        if (Unseen is ImageFolderDataset files)
        {
            return ThumbnailGrid.Photo(files.Paths[index]);
        }
        var shape = Unseen.ItemShape;
        var item = Unseen.Batch([index], BatchRequest.Evaluation);
        return shape.Length == 3
            ? RasterImage.FromPlanar(item.ReadOnlySpan, shape[0], shape[1], shape[2])
            : RasterImage.FromPlanar(item.ReadOnlySpan, 1, 1, item.Size);
    }
}
