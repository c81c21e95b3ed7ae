namespace DeepMetric.Evaluation;

/// <summary>The distance a tile of dot products q·r becomes in <see cref="BlockedKnn"/> (all: smaller is closer).</summary>
internal enum TileDistance
{
    /// <summary>‖q − r‖² = ‖q‖² + ‖r‖² − 2 q·r, clamped at 0 (rounding can push it below).</summary>
    SquaredL2,

    /// <summary>1 − q·r on unit vectors (cosine distance), clamped at 0.</summary>
    OneMinusDot,

    /// <summary>−q·r (maximum inner product search); may be negative.</summary>
    NegativeDot,
}
