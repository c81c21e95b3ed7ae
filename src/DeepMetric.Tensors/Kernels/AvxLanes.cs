using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// Helpers the 256-bit kernels share: partial vectors (the last block of a row or of a tile range has fewer than 8
/// lanes, and is read and written through a lane mask so nothing past it is touched) and an 8×8 transpose.
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

    /// <summary>
    /// The 8×8 block at <paramref name="s"/> (rows <paramref name="lds"/> floats apart) transposed into rows
    /// <paramref name="ldd"/> floats apart at <paramref name="d"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose8x8(float* s, int lds, float* d, int ldd)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + (2 * lds));
        var r3 = Avx.LoadVector256(s + (3 * lds));
        var r4 = Avx.LoadVector256(s + (4 * lds));
        var r5 = Avx.LoadVector256(s + (5 * lds));
        var r6 = Avx.LoadVector256(s + (6 * lds));
        var r7 = Avx.LoadVector256(s + (7 * lds));
        // Pairs of rows interleaved, then pairs of pairs: each 128-bit half holds 4 rows of one column; the halves of
        // rows 0–3 and 4–7 then pair up into whole columns.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + (2 * ldd), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + (3 * ldd), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + (4 * ldd), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + (5 * ldd), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + (6 * ldd), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + (7 * ldd), Avx.Permute2x128(u3, u7, 0x31));
    }
}
