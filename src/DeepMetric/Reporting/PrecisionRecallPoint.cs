namespace DeepMetric.Reporting;

/// <summary>One operating point: pairs with distance ≤ <paramref name="Threshold"/> are called "same class".</summary>
/// <param name="Threshold">Distance threshold.</param>
/// <param name="Precision">True positives / predicted positives.</param>
/// <param name="Recall">True positives / all positives.</param>
public sealed record PrecisionRecallPoint(double Threshold, double Precision, double Recall);
