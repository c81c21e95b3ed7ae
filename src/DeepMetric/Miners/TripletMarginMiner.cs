namespace DeepMetric;

/// <summary>
/// Keeps the triplets whose separation s = d(a,n) − d(a,p) (for similarities s(a,p) − s(a,n)) falls in a
/// band relative to the margin: all violating, hard, semi-hard (FaceNet; Schroff et al., CVPR 2015) or easy.
/// Default: margin 0.2, all violating triplets.
/// </summary>
public sealed class TripletMarginMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="margin">The margin defining the bands.</param>
    /// <param name="kind">Which band to keep.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>).</param>
    public TripletMarginMiner(float margin = 0.2f, TripletKind kind = TripletKind.All, Distance? distance = null) : base(distance ?? new LpDistance())
    {
        Guard.Finite(margin);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown triplet kind.");
        }
        Margin = margin;
        Kind = kind;
    }

    /// <summary>The margin.</summary>
    public float Margin { get; }

    /// <summary>Which triplets are kept.</summary>
    public TripletKind Kind { get; }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        var d = batch.Distance;
        List<int> a = [], p = [], n = [];
        List<int> pos = [], neg = [];
        for (int i = 0; i < batch.Rows; i++)
        {
            pos.Clear();
            neg.Clear();
            var row = batch.Row(i);
            for (int j = 0; j < row.Length; j++)
            {
                if (batch.IsPositive(i, j))
                {
                    pos.Add(j);
                }
                else if (batch.IsNegative(i, j))
                {
                    neg.Add(j);
                }
            }
            foreach (int pj in pos)
            {
                foreach (int nj in neg)
                {
                    float s = d.Separation(row[pj], row[nj]);
                    if (Keep(s))
                    {
                        a.Add(i);
                        p.Add(pj);
                        n.Add(nj);
                    }
                }
            }
        }
        return new TripletTuples([.. a], [.. p], [.. n]);
    }

    private bool Keep(float s) => Kind switch
    {
        TripletKind.All => s <= Margin,
        TripletKind.Hard => s <= 0,
        TripletKind.SemiHard => s > 0 && s <= Margin,
        _ => s > Margin,
    };
}
