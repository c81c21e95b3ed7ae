using DeepMetric.Distances;

namespace DeepMetric.Search;

/// <summary>One search result: the stored item's id, its distance to the query (see <see cref="VectorMetric"/>) and its label (−1 when none).</summary>
/// <param name="Id">The id given when the vector was added.</param>
/// <param name="Distance">Distance to the query under the index's metric; smaller is closer.</param>
/// <param name="Label">The label given when the vector was added, or −1.</param>
public readonly record struct VectorHit(string Id, float Distance, int Label);
