using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Reducers;

/// <summary>
/// Turns the unreduced values of a <see cref="LossTerm"/> into a scalar. An empty term reduces to 0 with a zero
/// gradient (never NaN); <see cref="LossTermKind.AlreadyReduced"/> terms pass through unchanged.
/// </summary>
public abstract class Reducer
{
    /// <summary>Reduces <paramref name="term"/> to a scalar tensor.</summary>
    /// <param name="term">The values to reduce.</param>
    /// <param name="labels">Labels of the batch, for reducers that weight by the anchor's class.</param>
    public Tensor Reduce(LossTerm term, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(term);
        ArgumentNullException.ThrowIfNull(labels);
        if (term.Kind == LossTermKind.AlreadyReduced)
        {
            if (term.Values.Size != 1)
            {
                throw new ArgumentException($"Term '{term.Name}' is marked AlreadyReduced but has {term.Values.Size} values.", nameof(term));
            }
            return Ops.Reshape(term.Values);
        }
        if (term.Anchors is not null && term.Anchors.Length != term.Values.Size)
        {
            throw new ArgumentException($"Term '{term.Name}' has {term.Values.Size} values but {term.Anchors.Length} anchors.", nameof(term));
        }
        var values = term.Values.Rank == 1 ? term.Values : Ops.Reshape(term.Values, term.Values.Size);
        if (values.Size == 0)
        {
            return Ops.Mul(Ops.Sum(values), 0f);
        }
        return ReduceCore(values, term, labels);
    }

    /// <summary>Reduces non-empty 1-D <paramref name="values"/> of <paramref name="term"/>.</summary>
    protected abstract Tensor ReduceCore(Tensor values, LossTerm term, int[] labels);

    /// <summary>Mean of the values where <paramref name="keep"/> is true; 0 with zero gradient when none is kept.</summary>
    protected static Tensor MaskedMean(Tensor values, Func<float, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(keep);
        var v = values.ReadOnlySpan;
        var mask = new float[v.Length];
        int count = 0;
        for (int i = 0; i < v.Length; i++)
        {
            if (keep(v[i]))
            {
                mask[i] = 1f;
                count++;
            }
        }
        var kept = Ops.Sum(Ops.Mul(values, Tensor.Wrap(mask, v.Length)));
        return count == 0 ? Ops.Mul(kept, 0f) : Ops.Mul(kept, 1f / count);
    }
}
