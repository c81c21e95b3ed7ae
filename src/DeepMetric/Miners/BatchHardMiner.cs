using DeepMetric.Distances;

namespace DeepMetric.Miners;

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
        bool inverted = batch.Distance.IsInverted;
        var labels = batch.Labels;
        var refLabels = batch.RefLabels;
        var values = batch.Values;
        int rows = batch.Rows, cols = batch.Cols, count = 0;
        var a = new int[rows];
        var p = new int[rows];
        var n = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            var row = values.Slice(i * cols, cols);
            int label = labels[i];
            int self = batch.SameSet ? i : -1;
            int hp = -1, hn = -1;
            float vp = 0f, vn = 0f;
            for (int j = 0; j < row.Length; j++)
            {
                float v = row[j];
                if (refLabels[j] == label)
                {
                    // Hardest positive: the farthest (first one on ties, as strict comparisons keep it).
                    if (j != self && (hp < 0 || (inverted ? v < vp : v > vp)))
                    {
                        hp = j;
                        vp = v;
                    }
                }
                else if (hn < 0 || (inverted ? v > vn : v < vn))
                {
                    hn = j;
                    vn = v;
                }
            }
            if (hp >= 0 && hn >= 0)
            {
                a[count] = i;
                p[count] = hp;
                n[count] = hn;
                count++;
            }
        }
        if (count < rows)
        {
            Array.Resize(ref a, count);
            Array.Resize(ref p, count);
            Array.Resize(ref n, count);
        }
        return new TripletTuples(a, p, n);
    }
}
