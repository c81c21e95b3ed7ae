using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Reducers;

/// <summary>The sum of the values divided by a fixed divisor (e.g. 2|P| for the lifted structured loss).</summary>
public sealed class DivisorReducer : Reducer
{
    /// <summary>Creates the reducer.</summary>
    /// <param name="divisor">A positive divisor.</param>
    public DivisorReducer(float divisor)
    {
        if (!(divisor > 0) || float.IsInfinity(divisor))
        {
            throw new ArgumentOutOfRangeException(nameof(divisor), divisor, "The divisor must be a finite number > 0.");
        }
        Divisor = divisor;
    }

    /// <summary>The divisor.</summary>
    public float Divisor { get; }

    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels) => Ops.Mul(Ops.Sum(values), 1f / Divisor);
}
