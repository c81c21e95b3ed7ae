using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// im2col over a chunk of images (its adjoint, col2im, is in <see cref="ConvBackwardKernels"/>). The column matrix is [C·kh·kw, B·Ho·Wo] (row-major), so one GEMM
/// per chunk covers B images. Images are first copied into a zero-padded buffer so the inner copies need no
/// bounds tests.
/// </summary>
internal static class ConvKernels
{
    /// <summary>Copies <paramref name="count"/> images [C,H,W] into zero-padded [C,Hp,Wp] planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pad(ReadOnlySpan<float> src, int count, in ConvGeometry g, Span<float> dst)
    {
        int planes = count * g.C, p = g.Padding, w = g.W, wp = g.Wp;
        dst[..(planes * g.PlanePadded)].Clear();
        for (int pl = 0; pl < planes; pl++)
        {
            var s = src.Slice(pl * g.PlaneIn, g.PlaneIn);
            var d = dst.Slice(pl * g.PlanePadded, g.PlanePadded);
            for (int h = 0; h < g.H; h++)
            {
                s.Slice(h * w, w).CopyTo(d.Slice(((h + p) * wp) + p, w));
            }
        }
    }

    /// <summary>
    /// Builds the column matrix of <paramref name="count"/> padded images: row (c, i, j), column (b, oh, ow)
    /// holds image b, channel c at (oh·s + i·d, ow·s + j·d).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Im2Col(ReadOnlySpan<float> padded, int count, in ConvGeometry g, Span<float> col) =>
        Im2Col(padded, count, g, col, 0, g.Ho);

    /// <summary>
    /// As <see cref="Im2Col(ReadOnlySpan{float}, int, in ConvGeometry, Span{float})"/> for the output rows
    /// [<paramref name="oh0"/>, <paramref name="oh0"/> + <paramref name="rows"/>) only: the column matrix is then
    /// [C·kh·kw, count·rows·Wo], small enough to stay in cache while its GEMM runs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Im2Col(ReadOnlySpan<float> padded, int count, in ConvGeometry g, Span<float> col, int oh0, int rows)
    {
        int ho = rows, wo = g.Wo, s = g.Stride, d = g.Dilation, wp = g.Wp, p = rows * wo, ld = count * p;
        if (col.Length < g.K * ld || padded.Length < count * g.C * g.PlanePadded)
        {
            throw new ArgumentException("Im2Col: buffers too small.", nameof(col));
        }
        ref float src0 = ref MemoryMarshal.GetReference(padded);
        ref float dst0 = ref MemoryMarshal.GetReference(col);
        uint rowBytes = (uint)(wo * sizeof(float));
        int r = 0;
        for (int c = 0; c < g.C; c++)
        {
            for (int i = 0; i < g.Kh; i++)
            {
                for (int j = 0; j < g.Kw; j++, r++)
                {
                    int dst = r * ld;
                    for (int b = 0; b < count; b++)
                    {
                        int src = (((b * g.C) + c) * g.PlanePadded) + (i * d * wp) + (j * d) + (oh0 * s * wp);
                        for (int oh = 0; oh < ho; oh++, dst += wo)
                        {
                            int so = src + (oh * s * wp);
                            if (s == 1)
                            {
                                Unsafe.CopyBlockUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref dst0, dst)),
                                    ref Unsafe.As<float, byte>(ref Unsafe.Add(ref src0, so)), rowBytes);
                            }
                            else
                            {
                                int ow = s == 2 ? Gather2(ref src0, so, padded.Length, ref dst0, dst, wo) : 0;
                                for (; ow < wo; ow++)
                                {
                                    Unsafe.Add(ref dst0, dst + ow) = Unsafe.Add(ref src0, so + (ow * s));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Copies every second float from src[so…] to dst[d…] in blocks of eight (stride-2 convolutions: ResNet's stem,
    /// downsampling layers) while two full vectors can be read; returns how many were copied. Pure data movement.
    /// </summary>
    private static int Gather2(ref float src0, int so, int srcLength, ref float dst0, int d, int count)
    {
        if (!Avx2.IsSupported)
        {
            return 0;
        }
        int ow = 0;
        for (; ow + 8 <= count && so + (2 * ow) + 16 <= srcLength; ow += 8)
        {
            var a = Vector256.LoadUnsafe(ref src0, (nuint)(so + (2 * ow)));
            var b = Vector256.LoadUnsafe(ref src0, (nuint)(so + (2 * ow) + 8));
            // [a0 a2 b0 b2 | a4 a6 b4 b6], then the 64-bit pairs reordered to [a0 a2 a4 a6 b0 b2 b4 b6].
            var evens = Avx.Shuffle(a, b, 0b10_00_10_00);
            Avx2.Permute4x64(evens.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref dst0, (nuint)(d + ow));
        }
        return ow;
    }
}
