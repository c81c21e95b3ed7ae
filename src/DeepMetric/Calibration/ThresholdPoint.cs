namespace DeepMetric.Calibration;

/// <summary>
/// One point of a <see cref="ThresholdCurve"/>: the confusion counts and scores when every pair at distance at most
/// <paramref name="Threshold"/> is predicted to match.
/// </summary>
/// <param name="Threshold">The distance threshold (inclusive: a pair matches when its distance is ≤ this value).</param>
/// <param name="TruePositives">Matching pairs (same label) at distance ≤ threshold.</param>
/// <param name="FalsePositives">Non-matching pairs at distance ≤ threshold.</param>
/// <param name="FalseNegatives">Matching pairs beyond the threshold.</param>
/// <param name="TrueNegatives">Non-matching pairs beyond the threshold.</param>
/// <param name="Precision">TP / (TP + FP); every curve point predicts at least one pair, so it is always defined.</param>
/// <param name="Recall">TP / (TP + FN), or 0 when there are no matching pairs at all.</param>
/// <param name="F1">2·P·R / (P + R), or 0 when TP = 0.</param>
public readonly record struct ThresholdPoint(
    float Threshold, long TruePositives, long FalsePositives, long FalseNegatives, long TrueNegatives, double Precision, double Recall, double F1);
