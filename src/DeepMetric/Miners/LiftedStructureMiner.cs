using DeepMetric.Distances;

namespace DeepMetric.Miners;

/// <summary>
/// The hard-negative mining of the lifted structured loss (Song, Xiang, Jegelka &amp; Savarese, "Deep Metric
/// Learning via Lifted Structured Feature Embedding", CVPR 2016, Sec. 4): for each positive pair (i, j), the hardest
/// (closest) negative of i and the hardest negative of j. Returned as triplets (i, j, n̂ᵢ) and (j, i, n̂ⱼ); since
/// positive pairs are taken in both orders, this is, for every anchor, each of its positives with its hardest
/// negative. With a separate reference set only the batch side can be an anchor, so only (i, j, n̂ᵢ) is produced.
/// Default distance: <see cref="LpDistance"/>.
/// </summary>
public sealed class LiftedStructureMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>).</param>
    public LiftedStructureMiner(Distance? distance = null) : base(distance ?? new LpDistance()) { }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        var d = batch.Distance;
        List<int> a = [], p = [], n = [];
        for (int i = 0; i < batch.Rows; i++)
        {
            var row = batch.Row(i);
            int hn = -1;
            for (int j = 0; j < row.Length; j++)
            {
                if (batch.IsNegative(i, j) && (hn < 0 || d.IsCloser(row[j], row[hn])))
                {
                    hn = j;
                }
            }
            if (hn < 0)
            {
                continue;
            }
            for (int j = 0; j < row.Length; j++)
            {
                if (batch.IsPositive(i, j))
                {
                    a.Add(i);
                    p.Add(j);
                    n.Add(hn);
                }
            }
        }
        return new TripletTuples([.. a], [.. p], [.. n]);
    }
}
