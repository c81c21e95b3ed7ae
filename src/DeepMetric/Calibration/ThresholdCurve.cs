using DeepMetric.Distances;

namespace DeepMetric.Calibration;

/// <summary>
/// Precision, recall and F1 of the rule "distance ≤ t ⇒ match" for every distinct distance t in a set of labelled pairs.
/// </summary>
/// <remarks>
/// Pairs are sorted by distance and pairs with equal distances are grouped: one point per distinct distance, counting
/// every pair at that distance as predicted (a threshold cannot split a tie). Points are in increasing threshold order;
/// the last one predicts every pair. Precision is not monotone in the threshold, recall is non-decreasing.
/// </remarks>
public sealed class ThresholdCurve
{
    private ThresholdCurve(ThresholdPoint[] points, long positives, long negatives)
    {
        Points = points;
        PositiveCount = positives;
        NegativeCount = negatives;
    }

    /// <summary>One point per distinct distance, in increasing order.</summary>
    public IReadOnlyList<ThresholdPoint> Points { get; }

    /// <summary>Matching (same-label) pairs.</summary>
    public long PositiveCount { get; }

    /// <summary>Non-matching pairs.</summary>
    public long NegativeCount { get; }

    /// <summary>The highest precision reached by any point (0 when there are no matching pairs).</summary>
    public double MaxPrecision
    {
        get
        {
            double best = 0;
            foreach (var p in Points)
            {
                best = Math.Max(best, p.Precision);
            }
            return best;
        }
    }

    /// <summary>The curve of the pairs (<paramref name="distances"/>[i], <paramref name="isMatch"/>[i]).</summary>
    /// <param name="distances">Pair distances (smaller is closer); finite.</param>
    /// <param name="isMatch">True when pair i is a true match (same label), one per distance.</param>
    /// <exception cref="ArgumentException">The spans differ in length, are empty, or a distance is NaN or infinite.</exception>
    public static ThresholdCurve Compute(ReadOnlySpan<float> distances, ReadOnlySpan<bool> isMatch)
    {
        if (distances.Length != isMatch.Length)
        {
            throw new ArgumentException($"Expected one match flag per distance: {distances.Length} distances, {isMatch.Length} flags.", nameof(isMatch));
        }
        if (distances.IsEmpty)
        {
            throw new ArgumentException("At least one labelled pair is needed.", nameof(distances));
        }
        var keys = distances.ToArray();
        var flags = isMatch.ToArray();
        long positives = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            if (!float.IsFinite(keys[i]))
            {
                throw new ArgumentException($"Distance {i} is {keys[i]}; distances must be finite.", nameof(distances));
            }
            positives += flags[i] ? 1 : 0;
        }
        long negatives = keys.Length - positives;
        Array.Sort(keys, flags);
        var points = new List<ThresholdPoint>();
        long tp = 0;
        long fp = 0;
        for (int i = 0; i < keys.Length;)
        {
            float t = keys[i];
            // A tie group is predicted as a whole.
            for (; i < keys.Length && keys[i] == t; i++)
            {
                if (flags[i])
                {
                    tp++;
                }
                else
                {
                    fp++;
                }
            }
            double precision = (double)tp / (tp + fp);
            double recall = positives > 0 ? (double)tp / positives : 0;
            double f1 = tp > 0 ? 2 * precision * recall / (precision + recall) : 0;
            points.Add(new ThresholdPoint(t, tp, fp, positives - tp, negatives - fp, precision, recall, f1));
        }
        return new ThresholdCurve([.. points], positives, negatives);
    }

    /// <summary>
    /// The point for a target precision: among the points whose precision is at least <paramref name="targetPrecision"/>
    /// (compared with a 1e-12 tolerance for rounding), the one with the <em>largest</em> threshold — that is, the highest
    /// recall at which the target still holds. Because precision is not monotone, smaller thresholds may fall below the
    /// target; they are never chosen over a larger one that meets it. Null when no point reaches the target (see
    /// <see cref="MaxPrecision"/>).
    /// </summary>
    /// <param name="targetPrecision">In (0, 1].</param>
    public ThresholdPoint? ForTargetPrecision(double targetPrecision)
    {
        if (!(targetPrecision > 0 && targetPrecision <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(targetPrecision), targetPrecision, "The target precision must be in (0, 1].");
        }
        for (int i = Points.Count - 1; i >= 0; i--)
        {
            if (Points[i].Precision >= targetPrecision - 1e-12)
            {
                return Points[i];
            }
        }
        return null;
    }

    /// <summary>The point with the highest F1 (the smallest threshold among equal F1); null when F1 is 0 everywhere (no matching pairs).</summary>
    public ThresholdPoint? BestF1()
    {
        ThresholdPoint? best = null;
        foreach (var p in Points)
        {
            if (p.F1 > 0 && (best is null || p.F1 > best.Value.F1))
            {
                best = p;
            }
        }
        return best;
    }
}
