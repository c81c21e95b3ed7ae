using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Reducers;

/// <summary>The sum of all values.</summary>
public sealed class SumReducer : Reducer
{
    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels) => Ops.Sum(values);
}
