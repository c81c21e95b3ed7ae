namespace DeepMetric.Tensors;

/// <summary>
/// Grow-only per-thread scratch arrays for kernels that need large temporaries (im2col columns, padded
/// images), so a training step does not allocate them again on every call. Each slot is owned by one
/// kernel stage; callers must not hold a slot across a call that may use the same slot.
/// </summary>
internal static class Scratch
{
    public const int ConvColumns = 0;
    public const int ConvPadded = 1;
    public const int ConvOutput = 2;
    public const int WinogradV = 3;
    public const int WinogradM = 4;
    public const int WinogradU = 5;
    public const int WinogradDu = 6;
    public const int WinogradPlane = 7;
    public const int ConvPoolChunk = 8;
    private const int SlotCount = 9;

    [ThreadStatic]
    private static float[]?[]? s_slots;

    /// <summary>A buffer of at least <paramref name="length"/> floats with unspecified contents.</summary>
    public static float[] Get(int slot, int length)
    {
        var slots = s_slots ??= new float[SlotCount][];
        var buf = slots[slot];
        if (buf is null || buf.Length < length)
        {
            // Round up so slightly different shapes do not keep reallocating.
            int size = (int)Math.Min(Array.MaxLength, Math.Max(length, (long)(buf?.Length ?? 0) * 3 / 2));
            buf = GC.AllocateUninitializedArray<float>(size);
            slots[slot] = buf;
        }
        return buf;
    }
}
