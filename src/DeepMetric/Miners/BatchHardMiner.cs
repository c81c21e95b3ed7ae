namespace DeepMetric;

/// <summary>
/// Batch-hard mining (Hermans, Beyer &amp; Leibe, "In Defense of the Triplet Loss for Person Re-Identification",
/// 2017): for each anchor, its hardest positive (farthest) and its hardest negative (closest) form one triplet.
/// Anchors without a positive or a negative are skipped.
/// </summary>
public sealed class BatchHardMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>).</param>
    public BatchHardMiner(Distance? distance = null) : base(distance ?? new LpDistance()) { }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        var d = batch.Distance;
        List<int> a = [], p = [], n = [];
        for (int i = 0; i < batch.Rows; i++)
        {
            var row = batch.Row(i);
            int hp = -1, hn = -1;
            for (int j = 0; j < row.Length; j++)
            {
                if (batch.IsPositive(i, j))
                {
                    if (hp < 0 || d.IsCloser(row[hp], row[j]))
                    {
                        hp = j;
                    }
                }
                else if (batch.IsNegative(i, j) && (hn < 0 || d.IsCloser(row[j], row[hn])))
                {
                    hn = j;
                }
            }
            if (hp >= 0 && hn >= 0)
            {
                a.Add(i);
                p.Add(hp);
                n.Add(hn);
            }
        }
        return new TripletTuples([.. a], [.. p], [.. n]);
    }
}
