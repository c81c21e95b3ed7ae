namespace DeepMetric.Training;

/// <summary>The validation metric a <see cref="Trainer"/> uses to keep the best model and to stop early (higher is better).</summary>
public enum SelectionMetric
{
    /// <summary>MAP@R (the default; Musgrave, Belongie and Lim, "A Metric Learning Reality Check", ECCV 2020).</summary>
    MapAtR,

    /// <summary>Precision@1.</summary>
    PrecisionAt1,

    /// <summary>R-Precision.</summary>
    RPrecision,

    /// <summary>Mean average precision.</summary>
    Map,

    /// <summary>Mean reciprocal rank.</summary>
    Mrr,
}
