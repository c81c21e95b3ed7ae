using DeepMetric.Internal;
using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Regularizers;

/// <summary>
/// A penalty on a loss's class-weight matrix [C, D] (class weights, proxies or centres; one row per class or
/// centre), added to the loss with a weight. See <see cref="IHasClassWeights"/> for how a loss attaches them.
/// </summary>
public abstract class WeightRegularizer
{
    /// <summary>Creates the regularizer.</summary>
    /// <param name="weight">Multiplier of the penalty (finite, ≥ 0).</param>
    protected WeightRegularizer(float weight)
    {
        Guard.NonNegative(weight);
        Weight = weight;
    }

    /// <summary>Multiplier of the penalty.</summary>
    public float Weight { get; }

    /// <summary>Name of the term this regularizer adds to a loss.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>The weighted scalar penalty of <paramref name="classWeights"/> [C, D].</summary>
    public Tensor Compute(Tensor classWeights)
    {
        ArgumentNullException.ThrowIfNull(classWeights);
        if (classWeights.Rank != 2 || classWeights.Dim(0) == 0)
        {
            throw new ArgumentException($"Class weights must be a non-empty [C, D] matrix; got shape [{string.Join(", ", classWeights.Shape)}].", nameof(classWeights));
        }
        return Ops.Mul(Penalty(classWeights), Weight);
    }

    /// <summary>The weighted penalty as an already-reduced loss term, for a loss's <c>ComputeTerms</c>.</summary>
    public LossTerm Term(Tensor classWeights) => new(Name, Compute(classWeights), LossTermKind.AlreadyReduced);

    /// <summary>The scalar penalty of a validated [C, D] matrix (before <see cref="Weight"/>).</summary>
    protected abstract Tensor Penalty(Tensor classWeights);
}
