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
        var w = weight.ReadOnlySpan;
        var entries = f4 ? s_entriesF4 : s_entries;
        if (entries.TryGetValue(weight.Buffer, out var e) && e.Offset == weight.Offset && e.O == o && e.C == c
            && MemoryMarshal.AsBytes(w).SequenceEqual(MemoryMarshal.AsBytes(e.Weights.AsSpan())))
        {
            return e.U;
        }
        var copy = w.ToArray();
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
}
