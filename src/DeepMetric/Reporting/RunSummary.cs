using DeepMetric.Evaluation;
using DeepMetric.Training.Recipes;

namespace DeepMetric.Reporting;

/// <summary>The figures of one run that the report's summary and comparison table show.</summary>
/// <param name="Name">Display name of the run.</param>
/// <param name="Recipe">One-line recipe (model, loss, miner, schedule).</param>
/// <param name="Parameters">Model parameter count.</param>
/// <param name="TrainSeconds">Training wall time (NaN when unknown).</param>
/// <param name="Unseen">Retrieval metrics on the unseen (test) classes.</param>
/// <param name="UnseenClustering">Clustering scores on the unseen classes.</param>
/// <param name="Seen">Retrieval metrics on test images of the training classes, when available.</param>
/// <param name="SeenClustering">Clustering scores on the seen classes, when available.</param>
internal sealed record RunSummary(string Name, string Recipe, long Parameters, double TrainSeconds,
    Metrics Unseen, ClusteringScores UnseenClustering, Metrics? Seen, ClusteringScores? SeenClustering);
