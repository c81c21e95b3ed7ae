using DeepMetric.Distances;

namespace DeepMetric.Miners;

/// <summary>
/// For batches that already are triplets: rows are laid out as consecutive (anchor, positive, negative) groups,
/// rows 3k, 3k + 1, 3k + 2, and this miner returns exactly those triplets. Labels are not checked (datasets of
/// pre-built triplets often carry dummy labels). A separate reference set is not supported.
/// </summary>
public sealed class TripletsAlreadyPackagedMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="distance">Distance reported by <see cref="Miner.Distance"/> (default <see cref="LpDistance"/>); not used to choose.</param>
    public TripletsAlreadyPackagedMiner(Distance? distance = null) : base(distance ?? new LpDistance()) { }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        if (!batch.SameSet)
        {
            throw new ArgumentException("TripletsAlreadyPackagedMiner takes the triplets from the batch itself; do not pass a reference set.", "refEmbeddings");
        }
        if (batch.Rows % 3 != 0)
        {
            throw new ArgumentException($"The batch has {batch.Rows} rows; packaged triplets need a multiple of 3 (anchor, positive, negative, ...).", "embeddings");
        }
        int k = batch.Rows / 3;
        var a = new int[k];
        var p = new int[k];
        var n = new int[k];
        for (int t = 0; t < k; t++)
        {
            a[t] = 3 * t;
            p[t] = (3 * t) + 1;
            n[t] = (3 * t) + 2;
        }
        return new TripletTuples(a, p, n);
    }
}
