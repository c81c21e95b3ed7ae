namespace DeepMetric.Search;

/// <summary>
/// Build and search parameters of <see cref="HnswIndex"/> (names as in Malkov &amp; Yashunin, TPAMI 2018).
/// </summary>
/// <param name="M">Links per node on the upper layers (layer 0 keeps 2·M); 12–48 is usual, more gives higher recall and memory.</param>
/// <param name="EfConstruction">Size of the dynamic candidate list while inserting; larger builds slower and better graphs.</param>
/// <param name="EfSearch">Size of the dynamic candidate list while searching (at least k is used); the recall/speed knob.</param>
/// <param name="Seed">Seed of the level generator: the same seed and insertion order give the same graph.</param>
/// <param name="KeepPrunedConnections">Algorithm 4's option: fill up to M links with candidates the heuristic discarded.</param>
public sealed record HnswOptions(int M = 16, int EfConstruction = 200, int EfSearch = 64, ulong Seed = 42, bool KeepPrunedConnections = false)
{
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(M, 2, nameof(M));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(M, 1024, nameof(M));
        ArgumentOutOfRangeException.ThrowIfLessThan(EfConstruction, 1, nameof(EfConstruction));
        ArgumentOutOfRangeException.ThrowIfLessThan(EfSearch, 1, nameof(EfSearch));
    }
}
