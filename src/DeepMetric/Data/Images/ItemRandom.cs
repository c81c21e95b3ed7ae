using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>
/// The random source of one item of one batch, a pure function of (seed, step, slot): batches can be built in any
/// order on any thread, and a resumed run draws what an uninterrupted one drew, with no generator state saved.
/// </summary>
internal static class ItemRandom
{
    /// <summary>A generator seeded by SplitMix64-mixing the seed, the step and the slot in turn.</summary>
    public static Prng Create(ulong seed, long step, int slot)
    {
        ulong z = Mix(seed ^ 0x6A09E667F3BCC909UL);
        z = Mix(z ^ (ulong)step);
        z = Mix(z ^ (uint)slot);
        return new Prng(z);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
