using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Reducers;

/// <summary>The mean of all values.</summary>
public sealed class MeanReducer : Reducer
{
    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels) => Ops.Mean(values);
}
