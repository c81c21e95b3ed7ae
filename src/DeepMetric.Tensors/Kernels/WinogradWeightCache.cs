using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepMetric.Tensors;

/// <summary>
/// Transformed Winograd weights U (<see cref="Winograd.TransformWeights"/>) kept between forward passes that need no
/// gradient (inference): a batch-1 forward of a 256-channel layer spent about 1 ms of its 3 ms transforming the same
/// weights again. Tensors have no version counter and their storage can be written in place (an optimizer step, a
/// load, <see cref="Tensor.Span"/>), so each entry keeps a copy of the weights it was made from and is used only when
/// the weights are still bit for bit that copy (a compare reads 2 × 4 bytes per weight, a fraction of the transform's
/// cost); otherwise U is made again. Entries live as long as the weight's storage array.
/// </summary>
internal static class WinogradWeightCache
{
    private sealed record Entry(int Offset, int O, int C, float[] Weights, float[] U);

    // One table per transform, so a weight used by both F(2×2, 3×3) and F(4×4, 3×3) keeps both.
    private static readonly ConditionalWeakTable<float[], Entry> s_entries = new();
    private static readonly ConditionalWeakTable<float[], Entry> s_entriesF4 = new();

    /// <summary>
    /// U [16, O, C] (<see cref="Winograd.TransformWeights"/>), or with <paramref name="f4"/> U [36, O, C]
    /// (<see cref="WinogradF4.TransformWeights"/>), of <paramref name="weight"/> [O, C, 3, 3]; read-only for the caller.
    /// </summary>
    public static float[] Transformed(Tensor weight, int o, int c, bool f4 = false)
    {
        var entries = f4 ? s_entriesF4 : s_entries;
        if (entries.TryGetValue(weight.Buffer, out var e) && e.Offset == weight.Offset && e.O == o && e.C == c
            && SameBits(weight.Buffer, weight.Offset, e.Weights))
        {
            return e.U;
        }
        var copy = weight.ReadOnlySpan.ToArray();
        var u = GC.AllocateUninitializedArray<float>((f4 ? WinogradF4.Xi : Winograd.Xi) * o * c);
        if (f4)
        {
            WinogradF4.TransformWeights(copy, o, c, u);
        }
        else
        {
            Winograd.TransformWeights(copy, o, c, u);
        }
        // A new entry rather than an update: a forward pass on another thread may still be reading the old U.
        entries.AddOrUpdate(weight.Buffer, new Entry(weight.Offset, o, c, copy, u));
        return u;
    }

    // Weights of at least this many floats (1 MiB; ResNet's 256- and 512-channel layers) are compared in blocks over the
    // worker ranges: at batch 1 the compare was about an eighth of a 256-channel 14×14 layer, on one core.
    internal const int ParallelCompareFloats = 1 << 18;

    // Compare blocks: enough for two ranges (KernelThreads' minimum items per range) with room to spare.
    private const int CompareBlocks = 16;

    /// <summary>True when buffer[offset .. offset + copy.Length) holds exactly the bits of <paramref name="copy"/>.</summary>
    internal static bool SameBits(float[] buffer, int offset, float[] copy)
    {
        int len = copy.Length;
        if (len < ParallelCompareFloats)
        {
            return Same(buffer.AsSpan(offset, len), copy);
        }
        // Each block's answer lands in its own slot; the outcome does not depend on which range finished first.
        var differs = new bool[CompareBlocks];
        KernelThreads.For(CompareBlocks, (_, b0, b1) =>
        {
            for (int b = b0; b < b1; b++)
            {
                int start = (int)((long)len * b / CompareBlocks), end = (int)((long)len * (b + 1) / CompareBlocks);
                differs[b] = !Same(buffer.AsSpan(offset + start, end - start), copy.AsSpan(start, end - start));
            }
        });
        return Array.IndexOf(differs, true) < 0;
    }

    // Bits, not values: −0 against +0 or one NaN payload against another is a change of the weights.
    private static bool Same(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        MemoryMarshal.AsBytes(a).SequenceEqual(MemoryMarshal.AsBytes(b));
}
