using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Regularizers;

/// <summary>
/// A loss with a learned class-weight (or proxy / centre) matrix [C, D], one row per class (or per centre), that
/// <see cref="WeightRegularizer"/>s can penalise.
/// </summary>
/// <remarks>
/// How a classifier loss attaches weight regularizers: take an <c>IEnumerable&lt;WeightRegularizer&gt;?
/// weightRegularizers</c> constructor argument, keep it as a <c>WeightRegularizers</c> list, implement this
/// interface, and at the end of <c>ComputeTerms</c> yield <c>r.Term(ClassWeights)</c> for each regularizer (an
/// <see cref="LossTermKind.AlreadyReduced"/> term, so the loss's reducer leaves it as it is).
/// <see cref="WeightedClassifierLoss"/> does all of this for every loss derived from it.
/// </remarks>
public interface IHasClassWeights
{
    /// <summary>The class-weight matrix [C, D] (a trainable parameter of the loss).</summary>
    Tensor ClassWeights { get; }
}
