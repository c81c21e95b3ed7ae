using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// im2col and col2im of stride-2 convolutions (ResNet's stem and downsampling 3×3 layers) through the four phases of
/// the zero-padded image: phase (a, b) holds the padded pixels at (2·q + a, 2·u + b) as a dense [Hq, Wq] plane. Tap
/// (i, j) of output (oh, ow) reads padded (2·oh + i, 2·ow + j) = phase (i mod 2, j mod 2) at (oh + i/2, ow + j/2), so
/// every column row is a contiguous copy instead of a stride-2 gather, and the input gradient adds contiguous rows.
/// The images are split into phases once (padding included); pure data movement, so the column matrix holds the bits
/// <see cref="ConvKernels.Im2Col(ReadOnlySpan{float}, int, in ConvGeometry, Span{float}, int, int)"/> writes.
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
    /// Writes the four zero-padded phase planes of every channel of <paramref name="count"/> images [C, H, W] into
    /// <paramref name="dst"/> (<see cref="PlaneFloats"/> per channel). <paramref name="vectorBits"/>: 512 or 256 to
    /// deinterleave rows with those vectors where the CPU has them, 0 for the scalar loop (same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Split(ReadOnlySpan<float> images, int count, in ConvGeometry g, Span<float> dst, int vectorBits)
    {
        int h = g.H, w = g.W, pad = g.Padding, hq = Hq(g), wq = Wq(g), phase = hq * wq, planes = count * g.C;
        if (images.Length < planes * g.PlaneIn || dst.Length < planes * PlaneFloats(g))
        {
            throw new ArgumentException("Stride2Phases.Split: buffers too small for the geometry.", nameof(dst));
        }
        // Even input columns land in phase column pad mod 2 from pad / 2 on, odd ones in the other from (pad + 1) / 2.
        int evenPhase = pad & 1, evenAt = pad >> 1, oddAt = (pad + 1) >> 1;
        int evens = (w + 1) / 2, odds = w / 2;
        ref float s0 = ref MemoryMarshal.GetReference(images);
        ref float d0 = ref MemoryMarshal.GetReference(dst);
        for (int pl = 0; pl < planes; pl++)
        {
            var block = dst.Slice(pl * PlaneFloats(g), PlaneFloats(g));
            // Zero only what no pixel covers: the padding rows and columns.
            ClearBorders(block, g, hq, wq);
            int srcPlane = pl * g.PlaneIn, blockAt = pl * PlaneFloats(g);
            for (int r = 0; r < h; r++)
            {
                int y = r + pad, rowAt = blockAt + (2 * (y & 1) * phase) + ((y >> 1) * wq);
                ref float src = ref Unsafe.Add(ref s0, srcPlane + (r * w));
                ref float even = ref Unsafe.Add(ref d0, rowAt + (evenPhase * phase) + evenAt);
                ref float odd = ref Unsafe.Add(ref d0, rowAt + ((1 - evenPhase) * phase) + oddAt);
                int m = Deinterleave(ref src, w, ref even, ref odd, vectorBits);
                for (; m < odds; m++)
                {
                    Unsafe.Add(ref even, m) = Unsafe.Add(ref src, 2 * m);
                    Unsafe.Add(ref odd, m) = Unsafe.Add(ref src, (2 * m) + 1);
                }
                if (evens > odds)
                {
                    Unsafe.Add(ref even, odds) = Unsafe.Add(ref src, 2 * odds);
                }
            }
        }
    }

    /// <summary>
    /// The column rows of output rows [<paramref name="oh0"/>, <paramref name="oh0"/> + <paramref name="rows"/>) from
    /// phase planes <see cref="Split"/> wrote: the matrix [C·kh·kw, count·rows·Wo] that ConvKernels.Im2Col builds from
    /// the padded images. <paramref name="vector"/>: copy rows with 256-bit vectors (same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Im2Col(ReadOnlySpan<float> phases, int count, in ConvGeometry g, Span<float> col, int oh0, int rows, bool vector)
    {
        int wo = g.Wo, hq = Hq(g), wq = Wq(g), phase = hq * wq, pf = PlaneFloats(g), p = rows * wo, ld = count * p;
        if (!Applies(g) || oh0 < 0 || rows < 0 || oh0 + rows > g.Ho || col.Length < g.K * ld || phases.Length < count * g.C * pf)
        {
            throw new ArgumentException("Stride2Phases.Im2Col: needs stride 2 without dilation, rows inside the output and buffers of the geometry's size.", nameof(col));
        }
        ref float s0 = ref MemoryMarshal.GetReference(phases);
        ref float d0 = ref MemoryMarshal.GetReference(col);
        int srcLength = phases.Length, dstLength = col.Length, r = 0;
        vector &= Vector256.IsHardwareAccelerated;
        for (int c = 0; c < g.C; c++)
        {
            for (int i = 0; i < g.Kh; i++)
            {
                for (int j = 0; j < g.Kw; j++, r++)
                {
                    int dst = r * ld, tap = (((2 * (i & 1)) + (j & 1)) * phase) + (((oh0 + (i >> 1)) * wq) + (j >> 1));
                    for (int b = 0; b < count; b++)
                    {
                        int src = (((b * g.C) + c) * pf) + tap;
                        for (int oh = 0; oh < rows; oh++, dst += wo, src += wq)
                        {
                            CopyRow(ref s0, src, srcLength, ref d0, dst, dstLength, wo, vector);
                        }
                    }
                }
            }
        }
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
    /// The adjoint of <see cref="Split"/> restricted to the image: writes every float of <paramref name="count"/>
    /// images [C, H, W] from their phase planes, interleaving each row's two phases (the padding is dropped).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Merge(ReadOnlySpan<float> phases, int count, in ConvGeometry g, Span<float> images, int vectorBits)
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
                int m = Interleave(ref even, ref odd, w, ref dst, vectorBits);
                for (; m < odds; m++)
                {
                    Unsafe.Add(ref dst, 2 * m) = Unsafe.Add(ref even, m);
                    Unsafe.Add(ref dst, (2 * m) + 1) = Unsafe.Add(ref odd, m);
                }
                if (evens > odds)
                {
                    Unsafe.Add(ref dst, 2 * odds) = Unsafe.Add(ref even, odds);
                }
            }
        }
    }

    // dst[2m] = even[m], dst[2m + 1] = odd[m] in blocks while whole vectors fit in the row; returns the pairs done.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Interleave(ref float even, ref float odd, int w, ref float dst, int vectorBits)
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
                Avx512F.PermuteVar16x32x2(e, loIndex, o).StoreUnsafe(ref dst, (nuint)(2 * m));
                Avx512F.PermuteVar16x32x2(e, hiIndex, o).StoreUnsafe(ref dst, (nuint)((2 * m) + 16));
            }
        }
        if (vectorBits >= 256 && Avx2.IsSupported)
        {
            for (; (2 * m) + 16 <= w; m += 8)
            {
                var e = Vector256.LoadUnsafe(ref even, (nuint)m);
                var o = Vector256.LoadUnsafe(ref odd, (nuint)m);
                // In-lane unpacks give [e0 o0 e1 o1 | e4 o4 e5 o5] and [e2 o2 e3 o3 | e6 o6 e7 o7]; the 128-bit halves
                // recombined put them in sequence.
                var lo = Avx.UnpackLow(e, o);
                var hi = Avx.UnpackHigh(e, o);
                Avx.Permute2x128(lo, hi, 0x20).StoreUnsafe(ref dst, (nuint)(2 * m));
                Avx.Permute2x128(lo, hi, 0x31).StoreUnsafe(ref dst, (nuint)((2 * m) + 8));
            }
        }
        return m;
    }

    // wo floats from src to dst. Rows of 8 or more: vectors of 8, the last one overlapping. Shorter rows (the
    // 512-channel layer's 7): one vector of 8 whose extra float lands on the next column row's first, written later
    // in this sweep, when both buffers have room for it; else one by one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(ref float s0, int src, int srcLength, ref float d0, int dst, int dstLength, int wo, bool vector)
    {
        if (vector)
        {
            if (wo >= 8)
            {
                int k = 0;
                for (; k + 8 <= wo; k += 8)
                {
                    Vector256.LoadUnsafe(ref s0, (nuint)(src + k)).StoreUnsafe(ref d0, (nuint)(dst + k));
                }
                if (k < wo)
                {
                    Vector256.LoadUnsafe(ref s0, (nuint)(src + wo - 8)).StoreUnsafe(ref d0, (nuint)(dst + wo - 8));
                }
                return;
            }
            if (src + 8 <= srcLength && dst + 8 <= dstLength)
            {
                Vector256.LoadUnsafe(ref s0, (nuint)src).StoreUnsafe(ref d0, (nuint)dst);
                return;
            }
        }
        for (int k = 0; k < wo; k++)
        {
            Unsafe.Add(ref d0, dst + k) = Unsafe.Add(ref s0, src + k);
        }
    }

    // The phase rows and columns that hold padding (every padded pixel outside the image) set to zero.
    private static void ClearBorders(Span<float> block, in ConvGeometry g, int hq, int wq)
    {
        int pad = g.Padding, phase = hq * wq;
        for (int a = 0; a < 2; a++)
        {
            for (int b = 0; b < 2; b++)
            {
                var plane = block.Slice(((2 * a) + b) * phase, phase);
                // Phase rows q hold padded rows 2q + a: inside the image when pad ≤ 2q + a < pad + H.
                int q0 = FirstInside(pad, a), q1 = EndInside(pad + g.H, a, hq);
                int u0 = FirstInside(pad, b), u1 = EndInside(pad + g.W, b, wq);
                plane[..(q0 * wq)].Clear();
                plane[(q1 * wq)..].Clear();
                // A float or two per row: stores, not Clear calls (their overhead was most of the split's time).
                for (int q = q0; q < q1; q++)
                {
                    var row = plane.Slice(q * wq, wq);
                    for (int u = 0; u < u0; u++)
                    {
                        row[u] = 0f;
                    }
                    for (int u = u1; u < wq; u++)
                    {
                        row[u] = 0f;
                    }
                }
            }
        }
    }

    // Smallest q with 2q + a ≥ from.
    private static int FirstInside(int from, int a) => Math.Max(0, (from - a + 1) >> 1);

    // One past the largest q < size with 2q + a < end.
    private static int EndInside(int end, int a, int size) => Math.Clamp((end - a + 1) >> 1, 0, size);

    // Even floats of src to even[], odd ones to odd[], in blocks while whole vectors can be read within the row;
    // returns the number of pairs done.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Deinterleave(ref float src, int w, ref float even, ref float odd, int vectorBits)
    {
        int m = 0;
        if (vectorBits >= 512 && Avx512F.IsSupported)
        {
            var evenIndex = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var oddIndex = evenIndex + Vector512<int>.One;
            for (; (2 * m) + 32 <= w; m += 16)
            {
                var lo = Vector512.LoadUnsafe(ref src, (nuint)(2 * m));
                var hi = Vector512.LoadUnsafe(ref src, (nuint)((2 * m) + 16));
                Avx512F.PermuteVar16x32x2(lo, evenIndex, hi).StoreUnsafe(ref even, (nuint)m);
                Avx512F.PermuteVar16x32x2(lo, oddIndex, hi).StoreUnsafe(ref odd, (nuint)m);
            }
        }
        if (vectorBits >= 256 && Avx2.IsSupported)
        {
            for (; (2 * m) + 16 <= w; m += 8)
            {
                var lo = Vector256.LoadUnsafe(ref src, (nuint)(2 * m));
                var hi = Vector256.LoadUnsafe(ref src, (nuint)((2 * m) + 8));
                // In-lane shuffles give [l0 l2 h0 h2 | l4 l6 h4 h6]; the 64-bit pairs reordered put them in sequence.
                var e = Avx.Shuffle(lo, hi, 0b10_00_10_00);
                var o = Avx.Shuffle(lo, hi, 0b11_01_11_01);
                Avx2.Permute4x64(e.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref even, (nuint)m);
                Avx2.Permute4x64(o.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref odd, (nuint)m);
            }
        }
        return m;
    }
}
