using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Reducers;

/// <summary>
/// Leaves the values unreduced: <see cref="MetricLoss.Compute"/> then returns the 1-D values of its single term
/// (for inspecting per-tuple losses or custom weighting).
/// </summary>
public sealed class DoNothingReducer : Reducer
{
    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels) => values;
}
