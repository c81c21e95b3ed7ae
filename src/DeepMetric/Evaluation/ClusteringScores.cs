namespace DeepMetric.Evaluation;

/// <summary>Agreement between a clustering of the embeddings and the true labels.</summary>
/// <param name="Nmi">Normalised mutual information (arithmetic-mean normalisation).</param>
/// <param name="Ami">Adjusted mutual information (Vinh, Epps and Bailey, JMLR 2010; arithmetic-mean normalisation).</param>
/// <param name="Clusters">Number of k-means clusters (the number of distinct labels).</param>
public sealed record ClusteringScores(double Nmi, double Ami, int Clusters);
