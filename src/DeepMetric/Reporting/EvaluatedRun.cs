namespace DeepMetric.Reporting;

/// <summary>A run with its model evaluated on the report's test images.</summary>
/// <param name="Run">The run directory's contents.</param>
/// <param name="Summary">Metrics and figures of the summary and comparison table.</param>
/// <param name="Embeddings">Embeddings of the unseen-classes test images, row-major N × <paramref name="Dim"/>.</param>
/// <param name="Dim">Embedding size.</param>
/// <param name="Ks">Recall@K values computed (the requested Ks below the test-set size).</param>
internal sealed record EvaluatedRun(ReportRun Run, RunSummary Summary, float[] Embeddings, int Dim, int[] Ks);
