namespace DeepMetric.Tensors.Random;

/// <summary>The saved state of a <see cref="Prng"/>.</summary>
/// <param name="S0">State word 0.</param>
/// <param name="S1">State word 1.</param>
/// <param name="S2">State word 2.</param>
/// <param name="S3">State word 3.</param>
/// <param name="HasSpareNormal">Whether a second normal sample is cached.</param>
/// <param name="SpareNormal">The cached normal sample.</param>
public sealed record PrngState(ulong S0, ulong S1, ulong S2, ulong S3, bool HasSpareNormal, double SpareNormal);
