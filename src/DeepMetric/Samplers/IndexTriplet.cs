namespace DeepMetric.Samplers;

/// <summary>Dataset indices of one (anchor, positive, negative) triplet.</summary>
/// <param name="Anchor">Index of the anchor.</param>
/// <param name="Positive">Index of an item of the anchor's class.</param>
/// <param name="Negative">Index of an item of another class.</param>
public readonly record struct IndexTriplet(int Anchor, int Positive, int Negative);
