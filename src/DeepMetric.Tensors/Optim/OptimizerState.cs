namespace DeepMetric.Tensors.Optim;

/// <summary>
/// A checkpoint of an optimizer: named float tensors plus a string map of scalars, the shape of a
/// safetensors file (tensors plus its <c>__metadata__</c> map).
/// </summary>
/// <param name="Tensors">
/// Per-parameter state buffers keyed <c>state.{index}.{buffer}</c> (for example <c>state.3.exp_avg</c>),
/// where the index counts parameters across all groups in order. Each has its parameter's shape.
/// </param>
/// <param name="Metadata">
/// Scalars as invariant-culture strings: the optimizer type (<c>optimizer</c>), parameter and group
/// counts, parameter shapes (<c>param.{index}.shape</c>), step counts (<c>state.{index}.step</c>) and
/// every group's hyper-parameters (<c>group.{g}.lr</c>, <c>group.{g}.weight_decay</c>, ...).
/// </param>
public sealed record OptimizerState(IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata);
