using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// im2col and col2im of stride-2 convolutions (ResNet's stem and downsampling 3×3 layers). The columns are gathered
/// straight from the unpadded images (every second float by vector permutes, zeros where a window reaches into the
/// padding), with no padded copy. The input gradient goes through the four phases of the padded image: phase (a, b)
/// holds padded pixel (2·q + a, 2·u + b) at (q, u) of a dense [Hq, Wq] plane, and tap (i, j) of output (oh, ow) is
/// phase (i mod 2, j mod 2) at (oh + i/2, ow + j/2), so col2im adds contiguous rows instead of every second float,
/// and one merge interleaves the phases into dx. Pure data movement and the same additions in the same order as
/// <see cref="ConvKernels"/> and <see cref="ConvBackwardKernels"/>: the same bits.
/// </summary>
internal static class Stride2Phases
{
    /// <summary>Stride 2 without dilation and a kernel wider than 1×1 (a 1×1 kernel reads one phase only).</summary>
    public static bool Applies(in ConvGeometry g) => g.Stride == 2 && g.Dilation == 1 && (g.Kh > 1 || g.Kw > 1);

    /// <summary>Rows of one phase plane.</summary>
    public static int Hq(in ConvGeometry g) => (g.Hp + 1) / 2;

    /// <summary>Columns of one phase plane.</summary>
    public static int Wq(in ConvGeometry g) => (g.Wp + 1) / 2;

    /// <summary>Floats of one channel's four phase planes.</summary>
    public static int PlaneFloats(in ConvGeometry g) => 4 * Hq(g) * Wq(g);

    /// <summary>The widest vectors this machine runs: 512, 256 or 0 (scalar) bits.</summary>
    public static int BestVectorBits => Avx512F.IsSupported ? 512 : Avx2.IsSupported ? 256 : 0;

    /// <summary>
    /// The column matrix [C·kh·kw, count·rows·Wo] of output rows [<paramref name="oh0"/>, <paramref name="oh0"/> +
    /// <paramref name="rows"/>), the one ConvKernels.Im2Col builds from padded images, gathered straight from the
    /// unpadded images [C, H, W]: every second float of an input row by 512-bit permutes of two loads (or 256-bit
    /// shuffles), zeros where the window reaches into the padding. <paramref name="vectorBits"/>: 512, 256 or 0
    /// (scalar), same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Im2Col(ReadOnlySpan<float> images, int count, in ConvGeometry g, Span<float> col, int oh0, int rows, int vectorBits)
    {
        int wo = g.Wo, h = g.H, w = g.W, pad = g.Padding, p = rows * wo, ld = count * p;
        if (!Applies(g) || oh0 < 0 || rows < 0 || oh0 + rows > g.Ho || col.Length < g.K * ld || images.Length < count * g.C * g.PlaneIn)
        {
            throw new ArgumentException("Stride2Phases.Im2Col: needs stride 2 without dilation, rows inside the output and buffers of the geometry's size.", nameof(col));
        }
        ref float s0 = ref MemoryMarshal.GetReference(images);
        ref float d0 = ref MemoryMarshal.GetReference(col);
        int srcLength = images.Length, dstLength = col.Length, r = 0;
        for (int c = 0; c < g.C; c++)
        {
            for (int i = 0; i < g.Kh; i++)
            {
                for (int j = 0; j < g.Kw; j++, r++)
                {
                    // Output columns [ow0, ow1) read input column 2·ow + j − pad inside the row.
                    int xBase = j - pad;
                    int ow0 = xBase >= 0 ? 0 : Math.Min(wo, (1 - xBase) >> 1);
                    int ow1 = w - xBase <= 0 ? 0 : Math.Max(ow0, Math.Min(wo, ((w - 1 - xBase) >> 1) + 1));
                    int dst = r * ld;
                    for (int b = 0; b < count; b++)
                    {
                        int plane = ((b * g.C) + c) * g.PlaneIn;
                        for (int oh = 0; oh < rows; oh++, dst += wo)
                        {
                            int y = (2 * (oh0 + oh)) + i - pad;
                            if (y < 0 || y >= h)
                            {
                                col.Slice(dst, wo).Clear();
                                continue;
                            }
                            for (int ow = 0; ow < ow0; ow++)
                            {
                                Unsafe.Add(ref d0, dst + ow) = 0f;
                            }
                            int src = plane + (y * w) + (2 * ow0) + xBase;
                            int n = ow1 - ow0, m = Gather2(ref s0, src, srcLength, ref d0, dst + ow0, dstLength, n, vectorBits);
                            for (; m < n; m++)
                            {
                                Unsafe.Add(ref d0, dst + ow0 + m) = Unsafe.Add(ref s0, src + (2 * m));
                            }
                            // After the gather: its last vector may have run past ow1 into these.
                            for (int ow = ow1; ow < wo; ow++)
                            {
                                Unsafe.Add(ref d0, dst + ow) = 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    // dst[d + m] = src[s + 2m] for m < n in vector blocks; the last block may write up to a vector past n (positions
    // the caller writes afterwards) when both buffers have room. Returns how many were copied.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Gather2(ref float s0, int s, int srcLength, ref float d0, int d, int dstLength, int n, int vectorBits)
    {
        int m = 0;
        if (vectorBits >= 512 && Avx512F.IsSupported)
        {
            var evenIndex = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            for (; m < n && s + (2 * m) + 32 <= srcLength && d + m + 16 <= dstLength; m += 16)
            {
                var lo = Vector512.LoadUnsafe(ref s0, (nuint)(s + (2 * m)));
                var hi = Vector512.LoadUnsafe(ref s0, (nuint)(s + (2 * m) + 16));
                Avx512F.PermuteVar16x32x2(lo, evenIndex, hi).StoreUnsafe(ref d0, (nuint)(d + m));
            }
            return Math.Min(m, n);
        }
        if (vectorBits >= 256 && Avx2.IsSupported)
        {
            for (; m < n && s + (2 * m) + 16 <= srcLength && d + m + 8 <= dstLength; m += 8)
            {
                var lo = Vector256.LoadUnsafe(ref s0, (nuint)(s + (2 * m)));
                var hi = Vector256.LoadUnsafe(ref s0, (nuint)(s + (2 * m) + 8));
                var e = Avx.Shuffle(lo, hi, 0b10_00_10_00);
                Avx2.Permute4x64(e.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref d0, (nuint)(d + m));
            }
            return Math.Min(m, n);
        }
        return 0;
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col"/>: adds the column gradient [C·kh·kw, ld] of output rows
    /// [<paramref name="oh0"/>, <paramref name="oh0"/> + <paramref name="rows"/>) (image b's at column b·rows·Wo) into
    /// zeroed phase planes, row by contiguous row. Each phase float gets its additions in the order ConvBackwardKernels
    /// .Col2Im adds them into the padded image (kernel rows, then output rows), so the sums have the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Col2Im(ReadOnlySpan<float> col, int ld, int count, in ConvGeometry g, Span<float> phases, bool vector, int oh0, int rows)
    {
        int wo = g.Wo, hq = Hq(g), wq = Wq(g), phase = hq * wq, pf = PlaneFloats(g), p = rows * wo;
        if (!Applies(g) || oh0 < 0 || rows < 0 || oh0 + rows > g.Ho || ld < count * p || col.Length < ((g.K - 1) * ld) + (count * p)
            || phases.Length < count * g.C * pf)
        {
            throw new ArgumentException("Stride2Phases.Col2Im: needs stride 2 without dilation, rows inside the output and buffers of the geometry's size.", nameof(col));
        }
        ref float s0 = ref MemoryMarshal.GetReference(col);
        ref float d0 = ref MemoryMarshal.GetReference(phases);
        int r = 0;
        for (int c = 0; c < g.C; c++)
        {
            for (int i = 0; i < g.Kh; i++)
            {
                for (int j = 0; j < g.Kw; j++, r++)
                {
                    int tap = (((2 * (i & 1)) + (j & 1)) * phase) + (((oh0 + (i >> 1)) * wq) + (j >> 1));
                    for (int b = 0; b < count; b++)
                    {
                        int src = (r * ld) + (b * p), dst = (((b * g.C) + c) * pf) + tap;
                        for (int oh = 0; oh < rows; oh++, src += wo, dst += wq)
                        {
                            ConvBackwardKernels.AddRow(ref Unsafe.Add(ref d0, dst), ref Unsafe.Add(ref s0, src), wo, vector);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Writes every float of <paramref name="count"/> images [C, H, W] from their phase planes (<see cref="Col2Im"/>),
    /// interleaving each row's two phases; the padding is dropped. <paramref name="accumulate"/>: add to the images
    /// instead (image + value, the sum autograd's accumulation would form, without a separate gradient buffer).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Merge(ReadOnlySpan<float> phases, int count, in ConvGeometry g, Span<float> images, int vectorBits, bool accumulate = false)
    {
        int h = g.H, w = g.W, pad = g.Padding, hq = Hq(g), wq = Wq(g), phase = hq * wq, planes = count * g.C;
        if (images.Length < planes * g.PlaneIn || phases.Length < planes * PlaneFloats(g))
        {
            throw new ArgumentException("Stride2Phases.Merge: buffers too small for the geometry.", nameof(images));
        }
        int evenPhase = pad & 1, evenAt = pad >> 1, oddAt = (pad + 1) >> 1;
        int evens = (w + 1) / 2, odds = w / 2;
        ref float s0 = ref MemoryMarshal.GetReference(phases);
        ref float d0 = ref MemoryMarshal.GetReference(images);
        for (int pl = 0; pl < planes; pl++)
        {
            int dstPlane = pl * g.PlaneIn, blockAt = pl * PlaneFloats(g);
            for (int r = 0; r < h; r++)
            {
                int y = r + pad, rowAt = blockAt + (2 * (y & 1) * phase) + ((y >> 1) * wq);
                ref float dst = ref Unsafe.Add(ref d0, dstPlane + (r * w));
                ref float even = ref Unsafe.Add(ref s0, rowAt + (evenPhase * phase) + evenAt);
                ref float odd = ref Unsafe.Add(ref s0, rowAt + ((1 - evenPhase) * phase) + oddAt);
                int m = Interleave(ref even, ref odd, w, ref dst, vectorBits, accumulate);
                for (; m < evens; m++)
                {
                    Put(ref Unsafe.Add(ref dst, 2 * m), Unsafe.Add(ref even, m), accumulate);
                    if (m < odds)
                    {
                        Put(ref Unsafe.Add(ref dst, (2 * m) + 1), Unsafe.Add(ref odd, m), accumulate);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ref float dst, float value, bool accumulate) => dst = accumulate ? dst + value : value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ref float dst, nuint at, Vector512<float> value, bool accumulate) =>
        (accumulate ? Vector512.LoadUnsafe(ref dst, at) + value : value).StoreUnsafe(ref dst, at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ref float dst, nuint at, Vector256<float> value, bool accumulate) =>
        (accumulate ? Vector256.LoadUnsafe(ref dst, at) + value : value).StoreUnsafe(ref dst, at);

    // dst[2m] = even[m], dst[2m + 1] = odd[m] (or += when accumulating) in blocks while whole vectors fit in the row;
    // returns the pairs done.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Interleave(ref float even, ref float odd, int w, ref float dst, int vectorBits, bool accumulate)
    {
        int m = 0;
        if (vectorBits >= 512 && Avx512F.IsSupported)
        {
            var loIndex = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            var hiIndex = loIndex + Vector512.Create(8);
            for (; (2 * m) + 32 <= w; m += 16)
            {
                var e = Vector512.LoadUnsafe(ref even, (nuint)m);
                var o = Vector512.LoadUnsafe(ref odd, (nuint)m);
                Put(ref dst, (nuint)(2 * m), Avx512F.PermuteVar16x32x2(e, loIndex, o), accumulate);
                Put(ref dst, (nuint)((2 * m) + 16), Avx512F.PermuteVar16x32x2(e, hiIndex, o), accumulate);
            }
        }
        if (vectorBits >= 256 && Avx2.IsSupported)
        {
            for (; (2 * m) + 16 <= w; m += 8)
            {
                Interleave8(ref even, ref odd, m, ref dst, accumulate);
            }
            int pairs = w / 2;
            if (!accumulate && m < pairs && pairs >= 8)
            {
                // The last pairs as one more block ending at the row's last pair: it rewrites some with the same values
                // (so not when adding).
                Interleave8(ref even, ref odd, pairs - 8, ref dst, false);
                m = pairs;
            }
        }
        return m;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave8(ref float even, ref float odd, int m, ref float dst, bool accumulate)
    {
        var e = Vector256.LoadUnsafe(ref even, (nuint)m);
        var o = Vector256.LoadUnsafe(ref odd, (nuint)m);
        // In-lane unpacks give [e0 o0 e1 o1 | e4 o4 e5 o5] and [e2 o2 e3 o3 | e6 o6 e7 o7]; the 128-bit halves
        // recombined put them in sequence.
        var lo = Avx.UnpackLow(e, o);
        var hi = Avx.UnpackHigh(e, o);
        Put(ref dst, (nuint)(2 * m), Avx.Permute2x128(lo, hi, 0x20), accumulate);
        Put(ref dst, (nuint)((2 * m) + 8), Avx.Permute2x128(lo, hi, 0x31), accumulate);
    }
}
