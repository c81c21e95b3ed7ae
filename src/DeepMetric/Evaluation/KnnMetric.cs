namespace DeepMetric.Evaluation;

/// <summary>How <see cref="Knn"/> compares embeddings.</summary>
public enum KnnMetric
{
    /// <summary>Euclidean distance (smaller is closer).</summary>
    Euclidean,

    /// <summary>Cosine similarity, ranked by 1 − cos (larger similarity is closer).</summary>
    Cosine,
}
