namespace DeepMetric.Evaluation;

/// <summary>
/// How many neighbours the retrieval metrics rank, PyTorch Metric Learning's <c>AccuracyCalculator(k=…)</c> choices:
/// <see cref="All"/> (k = None: every reference), <see cref="MaxBinCount"/> (the largest number of references sharing a
/// query's label) or a fixed <see cref="Of"/> count. Metrics beyond the list (R-Precision and MAP@R when k &lt; R) only
/// see the first k neighbours, as there.
/// </summary>
public readonly record struct RetrievalK
{
    private RetrievalK(int value) => Value = value;

    /// <summary>Every reference (PML's default, k = None).</summary>
    public static RetrievalK All => new(0);

    /// <summary>The largest number of references that share a query's label (PML's "max_bin_count").</summary>
    public static RetrievalK MaxBinCount => new(-1);

    /// <summary>0 for <see cref="All"/>, −1 for <see cref="MaxBinCount"/>, else the fixed count.</summary>
    public int Value { get; }

    /// <summary>A fixed number of neighbours.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public static RetrievalK Of(int k) => k >= 1 ? new(k) : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");

    /// <inheritdoc/>
    public override string ToString() => Value switch { 0 => "all", -1 => "max_bin_count", var k => k.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}
