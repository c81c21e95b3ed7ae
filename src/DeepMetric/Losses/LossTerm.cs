using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// One named part of a loss before reduction, e.g. the positive-pair and negative-pair parts of the contrastive
/// loss. <see cref="Values"/> is 1-D (or a scalar for <see cref="LossTermKind.AlreadyReduced"/>);
/// <see cref="Anchors"/>, when given, holds the batch index each value belongs to (its anchor), so reducers can
/// average per anchor or weight by the anchor's class.
/// </summary>
/// <param name="Name">Term name, e.g. "pos_loss".</param>
/// <param name="Values">Unreduced values, differentiable.</param>
/// <param name="Kind">What each value belongs to.</param>
/// <param name="Anchors">Batch index of each value's anchor (same length as <paramref name="Values"/>), or null.</param>
public sealed record LossTerm(string Name, Tensor Values, LossTermKind Kind, int[]? Anchors = null);
