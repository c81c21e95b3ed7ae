using DeepMetric.Distances;

namespace DeepMetric.Miners;

/// <summary>
/// Picks, for each anchor, an easy, semi-hard or hard positive and negative, or all of them (Xuan, Stylianou &amp;
/// Pless, "Improved Embeddings with Easy Positive Triplet Mining", WACV 2020, generalised as in PyTorch Metric
/// Learning's BatchEasyHardMiner). Candidates can first be restricted to value ranges
/// (<see cref="AllowedPosRange"/>, <see cref="AllowedNegRange"/>, inclusive, in the distance's own units).
/// Returns pairs, as PyTorch Metric Learning 2.8.1: when neither side is <see cref="BatchEasyHardStrategy.All"/>, one
/// positive and one negative for each anchor that has both (a semi-hard side is chosen relative to the other side's
/// choice); an <see cref="BatchEasyHardStrategy.All"/> side returns every pair of that side, and its range is not
/// applied (PML's behaviour), while the other side keeps each anchor that has a choice.
/// Defaults: easy positives, semi-hard negatives (the paper's setting), <see cref="LpDistance"/>, no ranges.
/// </summary>
public sealed class BatchEasyHardMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="posStrategy">How the positive of each anchor is picked.</param>
    /// <param name="negStrategy">How the negative of each anchor is picked.</param>
    /// <param name="allowedPosRange">Only positive pairs with a value in [Min, Max] are candidates; null for all.</param>
    /// <param name="allowedNegRange">Only negative pairs with a value in [Min, Max] are candidates; null for all.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>).</param>
    /// <exception cref="ArgumentException">Both strategies are semi-hard, or one is semi-hard and the other <see cref="BatchEasyHardStrategy.All"/>.</exception>
    public BatchEasyHardMiner(BatchEasyHardStrategy posStrategy = BatchEasyHardStrategy.Easy, BatchEasyHardStrategy negStrategy = BatchEasyHardStrategy.SemiHard,
        (float Min, float Max)? allowedPosRange = null, (float Min, float Max)? allowedNegRange = null, Distance? distance = null)
        : base(distance ?? new LpDistance())
    {
        if (!Enum.IsDefined(posStrategy))
        {
            throw new ArgumentOutOfRangeException(nameof(posStrategy), posStrategy, "Unknown strategy.");
        }
        if (!Enum.IsDefined(negStrategy))
        {
            throw new ArgumentOutOfRangeException(nameof(negStrategy), negStrategy, "Unknown strategy.");
        }
        if (posStrategy == BatchEasyHardStrategy.SemiHard && negStrategy == BatchEasyHardStrategy.SemiHard)
        {
            throw new ArgumentException("posStrategy and negStrategy cannot both be SemiHard: each is defined relative to the other.", nameof(negStrategy));
        }
        if ((posStrategy == BatchEasyHardStrategy.SemiHard && negStrategy == BatchEasyHardStrategy.All)
            || (negStrategy == BatchEasyHardStrategy.SemiHard && posStrategy == BatchEasyHardStrategy.All))
        {
            throw new ArgumentException("A SemiHard side needs a single choice on the other side (Easy or Hard), not All.",
                posStrategy == BatchEasyHardStrategy.SemiHard ? nameof(negStrategy) : nameof(posStrategy));
        }
        CheckRange(allowedPosRange, nameof(allowedPosRange));
        CheckRange(allowedNegRange, nameof(allowedNegRange));
        PosStrategy = posStrategy;
        NegStrategy = negStrategy;
        AllowedPosRange = allowedPosRange;
        AllowedNegRange = allowedNegRange;
    }

    /// <summary>How positives are picked.</summary>
    public BatchEasyHardStrategy PosStrategy { get; }

    /// <summary>How negatives are picked.</summary>
    public BatchEasyHardStrategy NegStrategy { get; }

    /// <summary>Inclusive range of candidate positive values, or null.</summary>
    public (float Min, float Max)? AllowedPosRange { get; }

    /// <summary>Inclusive range of candidate negative values, or null.</summary>
    public (float Min, float Max)? AllowedNegRange { get; }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        var d = batch.Distance;
        List<int> a1 = [], p = [], a2 = [], n = [];
        List<int> pos = [], neg = [];
        for (int i = 0; i < batch.Rows; i++)
        {
            var row = batch.Row(i);
            pos.Clear();
            neg.Clear();
            for (int j = 0; j < row.Length; j++)
            {
                if (batch.IsPositive(i, j))
                {
                    if (InRange(row[j], AllowedPosRange))
                    {
                        pos.Add(j);
                    }
                }
                else if (batch.IsNegative(i, j) && InRange(row[j], AllowedNegRange))
                {
                    neg.Add(j);
                }
            }
            // The non-semi-hard sides first: the semi-hard side is relative to them.
            int pChoice = PosStrategy switch
            {
                BatchEasyHardStrategy.Easy => Closest(row, pos, d),
                BatchEasyHardStrategy.Hard => Farthest(row, pos, d),
                _ => -1,
            };
            int nChoice = NegStrategy switch
            {
                BatchEasyHardStrategy.Easy => Farthest(row, neg, d),
                BatchEasyHardStrategy.Hard => Closest(row, neg, d),
                _ => -1,
            };
            if (PosStrategy == BatchEasyHardStrategy.SemiHard)
            {
                pChoice = nChoice < 0 ? -1 : Farthest(row, pos, d, closerThan: row[nChoice]);
                if (pChoice < 0)
                {
                    nChoice = -1;
                }
            }
            else if (NegStrategy == BatchEasyHardStrategy.SemiHard)
            {
                nChoice = pChoice < 0 ? -1 : Closest(row, neg, d, fartherThan: row[pChoice]);
                if (nChoice < 0)
                {
                    pChoice = -1;
                }
            }
            bool posAll = PosStrategy == BatchEasyHardStrategy.All, negAll = NegStrategy == BatchEasyHardStrategy.All;
            if (!posAll && !negAll && (pChoice < 0 || nChoice < 0))
            {
                // Only anchors with both a positive and a negative give a pair of each.
                continue;
            }
            Emit(i, posAll ? AllOf(batch, i, positive: true) : null, pChoice, a1, p);
            Emit(i, negAll ? AllOf(batch, i, positive: false) : null, nChoice, a2, n);
        }
        return new PairTuples([.. a1], [.. p], [.. a2], [.. n]);
    }

    // Every positive (or negative) of anchor i, ignoring the allowed range as PML does for the "all" strategy.
    private static List<int> AllOf(MiningBatch batch, int i, bool positive)
    {
        var all = new List<int>();
        for (int j = 0; j < batch.Cols; j++)
        {
            if (positive ? batch.IsPositive(i, j) : batch.IsNegative(i, j))
            {
                all.Add(j);
            }
        }
        return all;
    }

    private static void Emit(int anchor, List<int>? all, int choice, List<int> anchors, List<int> others)
    {
        if (all is not null)
        {
            foreach (int j in all)
            {
                anchors.Add(anchor);
                others.Add(j);
            }
        }
        else if (choice >= 0)
        {
            anchors.Add(anchor);
            others.Add(choice);
        }
    }

    private static int Closest(ReadOnlySpan<float> row, List<int> candidates, Distance d, float? fartherThan = null)
    {
        int best = -1;
        foreach (int j in candidates)
        {
            if ((fartherThan is not { } f || d.IsCloser(f, row[j])) && (best < 0 || d.IsCloser(row[j], row[best])))
            {
                best = j;
            }
        }
        return best;
    }

    private static int Farthest(ReadOnlySpan<float> row, List<int> candidates, Distance d, float? closerThan = null)
    {
        int best = -1;
        foreach (int j in candidates)
        {
            if ((closerThan is not { } c || d.IsCloser(row[j], c)) && (best < 0 || d.IsCloser(row[best], row[j])))
            {
                best = j;
            }
        }
        return best;
    }

    private static bool InRange(float v, (float Min, float Max)? range) => range is not { } r || (v >= r.Min && v <= r.Max);

    private static void CheckRange((float Min, float Max)? range, string name)
    {
        if (range is { } r && (float.IsNaN(r.Min) || float.IsNaN(r.Max) || r.Min > r.Max))
        {
            throw new ArgumentException($"The range must satisfy Min ≤ Max (got [{r.Min}, {r.Max}]).", name);
        }
    }
}
