using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// Partial-vector helpers the 256-bit kernels share: the last block of a row or of a tile range has fewer than 8 lanes,
/// and is read and written through a lane mask so nothing past it is touched.
/// </summary>
internal static unsafe class AvxLanes
{
    /// <summary>A mask whose first <paramref name="lanes"/> lanes are set (none for 0 or less, all for 8 or more).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Mask(int lanes) =>
        Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(lanes)).AsSingle();

    /// <summary>The first <paramref name="lanes"/> floats at <paramref name="p"/> (zeros after them); <paramref name="mask"/> is <see cref="Mask"/>(lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p, int lanes, Vector256<float> mask) =>
        lanes >= 8 ? Avx.LoadVector256(p) : Avx.MaskLoad(p, mask);

    /// <summary>The first <paramref name="lanes"/> floats at <paramref name="p"/> (zeros after them; all zeros for 0 or less).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p, int lanes) =>
        lanes >= 8 ? Avx.LoadVector256(p) : lanes <= 0 ? Vector256<float>.Zero : Avx.MaskLoad(p, Mask(lanes));

    /// <summary>Writes the first <paramref name="lanes"/> lanes of <paramref name="v"/>; <paramref name="mask"/> is <see cref="Mask"/>(lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector256<float> v, int lanes, Vector256<float> mask)
    {
        if (lanes >= 8)
        {
            Avx.Store(p, v);
        }
        else
        {
            Avx.MaskStore(p, mask, v);
        }
    }
}
