using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The mean over the values that are greater than zero ("average of non-zero losses"), so easy tuples that
/// already satisfy the margin do not dilute the signal (Hermans et al., 2017, "In Defense of the Triplet Loss").
/// </summary>
public sealed class AvgNonZeroReducer : Reducer
{
    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels) => MaskedMean(values, v => v > 0);
}
