namespace DeepMetric.Reporting;

/// <summary>Sampled pairs of items (indices into the embedding rows) and their Euclidean distances.</summary>
/// <param name="First">First item of each pair.</param>
/// <param name="Second">Second item of each pair (never the first).</param>
/// <param name="Distances">Euclidean distance of each pair.</param>
internal sealed record PairSample(int[] First, int[] Second, double[] Distances);
