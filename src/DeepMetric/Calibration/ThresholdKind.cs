namespace DeepMetric.Calibration;

/// <summary>
/// What a calibrated threshold separates, which depends on what the calibration labels meant. The two differ by a
/// wide margin: items of one class lie far further apart than copies of one item, so a same-class threshold used for
/// deduplication merges whole classes into one "duplicate" group.
/// </summary>
public enum ThresholdKind
{
    /// <summary>Labels were classes: "distance ≤ t" means "probably the same class" (verification, <see cref="Matcher"/>).</summary>
    SameClass = 0,

    /// <summary>Labels named groups of copies of one item (e.g. an image and its edits): "distance ≤ t" means "a near-duplicate" (deduplication).</summary>
    NearDuplicate = 1,
}
