namespace DeepMetric.Tensors.Nn;

/// <summary>Outcome of <see cref="Module.LoadStateDict"/>: keys the module has but the dictionary lacked, and keys it did not use.</summary>
/// <param name="MissingKeys">Parameter or buffer names of the module absent from the dictionary (left unchanged).</param>
/// <param name="UnexpectedKeys">Dictionary keys that match no parameter or buffer of the module (ignored).</param>
public sealed record StateDictLoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
