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
    protected override MinedTuples Mine(MiningBatch batch) => Kind switch
    {
        // One specialised loop per band: the test is inlined in the innermost loop.
        TripletKind.All => Mine<AllBand>(batch, Margin),
        TripletKind.Hard => Mine<HardBand>(batch, Margin),
        TripletKind.SemiHard => Mine<SemiHardBand>(batch, Margin),
        _ => Mine<EasyBand>(batch, Margin),
    };

    // Every (anchor, positive, negative) whose separation falls in the band, anchors in order, then positives,
    // then negatives in column order.
    private static TripletTuples Mine<TBand>(MiningBatch batch, float margin)
        where TBand : struct, IBand
    {
        int rows = batch.Rows, cols = batch.Cols;
        bool inverted = batch.Distance.IsInverted;
        var labels = batch.Labels;
        var refLabels = batch.RefLabels;
        bool sameSet = batch.SameSet;
        var pos = new int[cols];
        var neg = new int[cols];
        var posValues = new float[cols];
        var negValues = new float[cols];
        var output = new TripletBuffer(rows * 16);
        for (int i = 0; i < rows; i++)
        {
            var row = batch.Row(i);
            int label = labels[i], np = 0, nn = 0;
            for (int j = 0; j < cols; j++)
            {
                if (label == refLabels[j])
                {
                    if (!(sameSet && i == j))
                    {
                        pos[np] = j;
                        posValues[np++] = row[j];
                    }
                }
                else
                {
                    neg[nn] = j;
                    negValues[nn++] = row[j];
                }
            }
            var negSpan = negValues.AsSpan(0, nn);
            for (int k = 0; k < np; k++)
            {
                float dp = posValues[k];
                for (int m = 0; m < negSpan.Length; m++)
                {
                    // Separation as Distance.Separation computes it: d(a,n) − d(a,p), or s(a,p) − s(a,n).
                    float sep = inverted ? dp - negSpan[m] : negSpan[m] - dp;
                    if (TBand.Keep(sep, margin))
                    {
                        output.Add(i, pos[k], neg[m]);
                    }
                }
            }
        }
        return output.ToTuples();
    }

    private interface IBand
    {
        static abstract bool Keep(float separation, float margin);
    }

    private readonly struct AllBand : IBand
    {
        public static bool Keep(float separation, float margin) => separation <= margin;
    }

    private readonly struct HardBand : IBand
    {
        public static bool Keep(float separation, float margin) => separation <= 0;
    }

    private readonly struct SemiHardBand : IBand
    {
        public static bool Keep(float separation, float margin) => separation > 0 && separation <= margin;
    }

    private readonly struct EasyBand : IBand
    {
        public static bool Keep(float separation, float margin) => separation > margin;
    }
}
