using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// Data movement of the im2col convolution's input gradient: the column gradient scattered back onto the images
/// (strided adds, the 1×1 strided scatter, the crop out of a padded buffer). Pure copies and single adds, so the
/// vector paths give the same bits as the scalar ones.
/// </summary>
internal static class ConvBackwardKernels
{
    private static readonly Vector256<int> LaneIndex = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);

    /// <summary>True when the 256-bit paths may run; tests turn them off per call with the vector arguments.</summary>
    public static bool VectorsAvailable => Avx2.IsSupported;

    /// <summary>
    /// dst[i] += src[i] for i &lt; <paramref name="count"/>. The last partial vector is masked (the 512-channel layers'
    /// rows are 7 floats), so nothing outside the row is read or written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void AddRow(ref float dst, ref float src, int count, bool vector)
    {
        int i = 0;
        if (vector && Avx2.IsSupported)
        {
            for (; i + 8 <= count; i += 8)
            {
                (Vector256.LoadUnsafe(ref dst, (nuint)i) + Vector256.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
            }
            if (i < count)
            {
                var mask = Vector256.LessThan(LaneIndex, Vector256.Create(count - i)).AsSingle();
                fixed (float* d = &Unsafe.Add(ref dst, i))
                fixed (float* s = &Unsafe.Add(ref src, i))
                {
                    Avx.MaskStore(d, mask, Avx.MaskLoad(d, mask) + Avx.MaskLoad(s, mask));
                }
                return;
            }
        }
        for (; i < count; i++)
        {
            Unsafe.Add(ref dst, i) += Unsafe.Add(ref src, i);
        }
    }

    /// <summary>
    /// dst[2·i] += src[i] for i &lt; <paramref name="count"/> (the stride-2 col2im row). Blocks of eight read and
    /// write sixteen floats, adding zero to the odd ones, only while the block ends before dst[2·count − 1]: nothing
    /// past the row's last target is touched (the next float may belong to another worker's image).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void AddEvery2(ref float dst, ref float src, int count, bool vector)
    {
        int i = 0;
        if (vector && Avx2.IsSupported)
        {
            var zero = Vector256<float>.Zero;
            for (; i + 8 < count; i += 8)
            {
                var (lo, hi) = Spread2(Vector256.LoadUnsafe(ref src, (nuint)i), zero);
                nuint d = (nuint)(2 * i);
                (Vector256.LoadUnsafe(ref dst, d) + lo).StoreUnsafe(ref dst, d);
                (Vector256.LoadUnsafe(ref dst, d + 8) + hi).StoreUnsafe(ref dst, d + 8);
            }
            if (i < count)
            {
                // The last 1…8 values: masked loads of the source and masked adds into the even floats only.
                int m = count - i, last = (2 * m) - 1;
                var even = Vector256.Equals(LaneIndex & Vector256<int>.One, Vector256<int>.Zero);
                var maskLo = (even & Vector256.LessThan(LaneIndex, Vector256.Create(last))).AsSingle();
                var maskHi = (even & Vector256.LessThan(LaneIndex + Vector256.Create(8), Vector256.Create(last))).AsSingle();
                fixed (float* s = &Unsafe.Add(ref src, i))
                fixed (float* d = &Unsafe.Add(ref dst, 2 * i))
                {
                    var (lo, hi) = Spread2(Avx.MaskLoad(s, Vector256.LessThan(LaneIndex, Vector256.Create(m)).AsSingle()), zero);
                    Avx.MaskStore(d, maskLo, Avx.MaskLoad(d, maskLo) + lo);
                    Avx.MaskStore(d + 8, maskHi, Avx.MaskLoad(d + 8, maskHi) + hi);
                }
                return;
            }
        }
        for (; i < count; i++)
        {
            Unsafe.Add(ref dst, 2 * i) += Unsafe.Add(ref src, i);
        }
    }

    /// <summary>
    /// Scatter-adds a column matrix [C·kh·kw, ld] (image b's positions at columns b·P…) back into
    /// <paramref name="count"/> padded images, which must be zeroed: the adjoint of im2col. Rows are added with
    /// 256-bit vectors at stride 1 and 2 (unless <paramref name="vector"/> is false), elementwise otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Col2Im(ReadOnlySpan<float> col, int ld, int count, in ConvGeometry g, Span<float> padded, bool vector) =>
        Col2Im(col, ld, count, g, padded, vector, 0, g.Ho);

    /// <summary>
    /// As <see cref="Col2Im(ReadOnlySpan{float}, int, int, in ConvGeometry, Span{float}, bool)"/> for the output rows
    /// [<paramref name="oh0"/>, <paramref name="oh0"/> + <paramref name="rows"/>) only: the column matrix is then
    /// [C·kh·kw, ld] with image b's rows·Wo columns at b·rows·Wo (a band small enough to stay in cache).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Col2Im(ReadOnlySpan<float> col, int ld, int count, in ConvGeometry g, Span<float> padded, bool vector, int oh0, int rows)
    {
        int ho = rows, wo = g.Wo, s = g.Stride, d = g.Dilation, wp = g.Wp, p = rows * wo;
        if (oh0 < 0 || rows < 0 || oh0 + rows > g.Ho || ld < count * p || col.Length < ((g.K - 1) * ld) + (count * p)
            || padded.Length < count * g.C * g.PlanePadded)
        {
            throw new ArgumentException("Col2Im: rows outside the output or buffers too small.", nameof(col));
        }
        ref float src0 = ref MemoryMarshal.GetReference(col);
        ref float dst0 = ref MemoryMarshal.GetReference(padded);
        int r = 0;
        for (int c = 0; c < g.C; c++)
        {
            for (int i = 0; i < g.Kh; i++)
            {
                for (int j = 0; j < g.Kw; j++, r++)
                {
                    for (int b = 0; b < count; b++)
                    {
                        int src = (r * ld) + (b * p);
                        int dst = (((b * g.C) + c) * g.PlanePadded) + (i * d * wp) + (j * d) + (oh0 * s * wp);
                        for (int oh = 0; oh < ho; oh++, src += wo)
                        {
                            ref float drow = ref Unsafe.Add(ref dst0, dst + (oh * s * wp));
                            ref float srow = ref Unsafe.Add(ref src0, src);
                            if (s == 1)
                            {
                                AddRow(ref drow, ref srow, wo, vector);
                            }
                            else if (s == 2)
                            {
                                AddEvery2(ref drow, ref srow, wo, vector);
                            }
                            else
                            {
                                for (int ow = 0; ow < wo; ow++)
                                {
                                    Unsafe.Add(ref drow, ow * s) += Unsafe.Add(ref srow, ow);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Writes the input gradient of <paramref name="count"/> images of a 1×1 convolution without padding from its
    /// column gradient [C, ld] (image b's positions at columns b·P…): each input pixel on the stride grid gets its
    /// column value, every other pixel zero. Every float of <paramref name="dx"/> is written once; no col2im.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scatter1x1(ReadOnlySpan<float> dcol, int ld, int count, in ConvGeometry g, Span<float> dx, bool vector)
    {
        int s = g.Stride, h = g.H, w = g.W, ho = g.Ho, wo = g.Wo, p = g.P, c = g.C;
        if (g.Kh != 1 || g.Kw != 1 || g.Padding != 0 || dcol.Length < ((c - 1) * ld) + (count * p) || dx.Length < count * c * g.PlaneIn)
        {
            throw new ArgumentException("Scatter1x1: needs a 1×1 kernel without padding and buffers of the geometry's size.", nameof(dcol));
        }
        ref float src0 = ref MemoryMarshal.GetReference(dcol);
        for (int b = 0; b < count; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                var plane = dx.Slice(((b * c) + ch) * g.PlaneIn, g.PlaneIn);
                ref float dst0 = ref MemoryMarshal.GetReference(plane);
                int srcPlane = (ch * ld) + (b * p);
                if (s != 1 && (s != 2 || wo < 8 || !vector || !Avx2.IsSupported))
                {
                    // Short rows (the 14² layer's 7 values) or another stride: one clear of the plane, then the grid.
                    plane.Clear();
                    for (int oh = 0; oh < ho; oh++)
                    {
                        ref float src = ref Unsafe.Add(ref src0, srcPlane + (oh * wo));
                        ref float dst = ref Unsafe.Add(ref dst0, oh * s * w);
                        for (int ow = 0; ow < wo; ow++)
                        {
                            Unsafe.Add(ref dst, ow * s) = Unsafe.Add(ref src, ow);
                        }
                    }
                    continue;
                }
                for (int oh = 0; oh < ho; oh++)
                {
                    // Row y = oh·s gets the values; the rows up to the next one on the grid (or the bottom) get zeros.
                    int y = oh * s, next = oh + 1 < ho ? y + s : h;
                    plane.Slice((y + 1) * w, (next - y - 1) * w).Clear();
                    var row = plane.Slice(y * w, w);
                    ref float src = ref Unsafe.Add(ref src0, srcPlane + (oh * wo));
                    ref float dst = ref Unsafe.Add(ref dst0, y * w);
                    if (s == 1)
                    {
                        MemoryMarshal.CreateReadOnlySpan(ref src, wo).CopyTo(row);
                        continue;
                    }
                    int ow = 0;
                    if (s == 2 && vector && Avx2.IsSupported)
                    {
                        var zero = Vector256<float>.Zero;
                        for (; ow + 8 <= wo && (2 * ow) + 16 <= w; ow += 8)
                        {
                            var (lo, hi) = Spread2(Vector256.LoadUnsafe(ref src, (nuint)ow), zero);
                            lo.StoreUnsafe(ref dst, (nuint)(2 * ow));
                            hi.StoreUnsafe(ref dst, (nuint)((2 * ow) + 8));
                        }
                    }
                    // The rest of the row: zeros, then the values on the stride grid.
                    row[(ow * s)..].Clear();
                    for (; ow < wo; ow++)
                    {
                        Unsafe.Add(ref dst, ow * s) = Unsafe.Add(ref src, ow);
                    }
                }
            }
        }
    }

    /// <summary>Copies the interior of padded planes into images [C, H, W], overwriting them (the adjoint of padding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CropCopy(ReadOnlySpan<float> padded, int count, in ConvGeometry g, Span<float> dst)
    {
        int planes = count * g.C, p = g.Padding, w = g.W, wp = g.Wp;
        for (int pl = 0; pl < planes; pl++)
        {
            var s = padded.Slice(pl * g.PlanePadded, g.PlanePadded);
            var d = dst.Slice(pl * g.PlaneIn, g.PlaneIn);
            for (int y = 0; y < g.H; y++)
            {
                s.Slice(((y + p) * wp) + p, w).CopyTo(d.Slice(y * w, w));
            }
        }
    }

    // [c0 … c7] → [c0 0 c1 0 c2 0 c3 0] and [c4 0 c5 0 c6 0 c7 0].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Lo, Vector256<float> Hi) Spread2(Vector256<float> v, Vector256<float> zero)
    {
        // 64-bit pairs reordered to [c0 c1 c4 c5 | c2 c3 c6 c7]; the in-lane unpacks then interleave with zeros.
        var perm = Avx2.Permute4x64(v.AsDouble(), 0b11_01_10_00).AsSingle();
        return (Avx.UnpackLow(perm, zero), Avx.UnpackHigh(perm, zero));
    }
}
