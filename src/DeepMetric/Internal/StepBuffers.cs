using DeepMetric.Tensors;

namespace DeepMetric.Internal;

/// <summary>
/// Storage for 1-D tensors whose length changes from batch to batch (one value per mined tuple). The step's buffer pool
/// (<see cref="TensorScope.Allocate"/>, active inside a <see cref="TensorScope"/> such as a training step) recycles only exact lengths, so a
/// length that differs every step would take fresh large-object-heap memory (page faults) each time; rounding the
/// storage up to a coarse bucket lets consecutive steps reuse it.
/// </summary>
internal static class StepBuffers
{
    // 4 K floats (16 KB) granularity: a few percent of slack at the sizes where it matters (≥ 16 K floats).
    private const int Granularity = 4096;

    /// <summary>
    /// Uninitialised storage for <paramref name="length"/> floats, possibly longer: wrap it as a tensor of exactly
    /// <paramref name="length"/> elements (a tensor may use a prefix of its storage).
    /// </summary>
    public static float[] Uninitialized(int length)
    {
        int rounded = length <= Granularity ? length : (int)Math.Min(Array.MaxLength, ((long)length + Granularity - 1) / Granularity * Granularity);
        return TensorScope.Allocate(rounded, clear: false);
    }
}
