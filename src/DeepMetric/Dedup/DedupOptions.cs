using DeepMetric.Search;

namespace DeepMetric.Dedup;

/// <summary>Settings of a <see cref="Deduplicator"/>.</summary>
/// <param name="Threshold">Two items are near duplicates when their distance is ≤ this value (e.g. a <see cref="Calibration.CalibratedThreshold"/>).</param>
/// <param name="IndexKind">
/// <see cref="VectorIndexKind.Flat"/>: exact (every pair within the threshold is found; n²·d/2 work).
/// <see cref="VectorIndexKind.Hnsw"/>: approximate range search on an HNSW graph (much faster on large sets; may miss pairs).
/// </param>
/// <param name="Hnsw">HNSW build and search settings (only for <see cref="VectorIndexKind.Hnsw"/>; null for the defaults).</param>
public sealed record DedupOptions(float Threshold, VectorIndexKind IndexKind = VectorIndexKind.Flat, HnswOptions? Hnsw = null);
