using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Reducers;

/// <summary>The mean over the values strictly inside (<see cref="Low"/>, <see cref="High"/>); others are ignored.</summary>
public sealed class ThresholdReducer : Reducer
{
    /// <summary>Creates the reducer; at least one bound must be given.</summary>
    /// <param name="low">Values ≤ low are dropped (null: no lower bound).</param>
    /// <param name="high">Values ≥ high are dropped (null: no upper bound).</param>
    public ThresholdReducer(float? low = null, float? high = null)
    {
        if (low is null && high is null)
        {
            throw new ArgumentException("ThresholdReducer needs a low or a high threshold.", nameof(low));
        }
        if (low is not null && high is not null && !(low < high))
        {
            throw new ArgumentOutOfRangeException(nameof(high), high, $"high must be greater than low ({low}).");
        }
        Low = low;
        High = high;
    }

    /// <summary>Lower bound (exclusive), or null.</summary>
    public float? Low { get; }

    /// <summary>Upper bound (exclusive), or null.</summary>
    public float? High { get; }

    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels) =>
        MaskedMean(values, v => (Low is null || v > Low) && (High is null || v < High));
}
