namespace DeepMetric.Calibration;

/// <summary>Which pairs of a labelled set <see cref="LabelledPairs.FromLabelledSet"/> measures.</summary>
public enum PairSampling
{
    /// <summary>Every pair among a seeded sample of at most <c>maxItems</c> items (the natural positive/negative mix).</summary>
    AllPairs = 0,

    /// <summary>
    /// Seeded positive pairs (same label) and seeded negative pairs (different labels), drawn with replacement; useful when
    /// positives are rare among all pairs. Precision then depends on the chosen negative-to-positive ratio.
    /// </summary>
    PositivesAndSampledNegatives = 1,
}
