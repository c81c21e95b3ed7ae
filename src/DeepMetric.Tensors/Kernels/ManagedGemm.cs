using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// The managed SGEMM used when no BLAS library is available (row-major), organised as in
/// Goto &amp; van de Geijn (2008) / BLIS: B is packed into kc×nc blocks of NR-wide column panels, A into
/// mc×kc blocks of MR-high row panels (transposition is absorbed by the packing), and a register-blocked
/// micro-kernel keeps an MR×NR tile of C in SIMD registers for the whole kc loop.
/// </summary>
internal static unsafe class ManagedGemm
{
    /// <summary>Which micro-kernel to run.</summary>
    internal enum Kernel
    {
        /// <summary>The fastest one the hardware supports.</summary>
        Auto,

        /// <summary>6×32 tile in AVX-512 registers (needs AVX-512F).</summary>
        Avx512,

        /// <summary>6×(2·Vector&lt;float&gt;.Count) tile with portable vectors.</summary>
        Portable,
    }

    private const int MR = 6;

    // kc·NR·4 bytes of packed B (32 KB at NR = 32) stay in L1; an mc×kc block of packed A (144 KB) in L2;
    // a kc×nc block of packed B (2 MB) in L3.
    private const int KC = 256;
    private const int MC = 144;
    private const int NC = 2048;

    // Packing buffers, reused across calls on the same thread (over-allocated so they can be 64-byte aligned).
    [ThreadStatic]
    private static float[]? t_packA;

    [ThreadStatic]
    private static float[]? t_packB;

    private static bool Avx512Usable => Avx512F.IsSupported;

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Kernel.Auto);

    /// <summary>C[m×n] = α·op(A)·op(B) + β·C. β = 0 overwrites C without reading it; α = 0 or k = 0 does not read A or B.</summary>
    /// <remarks>
    /// Compiled fully optimised from the first call: a tier-0 driver loop around the kernels runs about 10× slower,
    /// and a short job (one evaluation, a few GEMMs) would finish before tiering replaced it.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, Kernel kernel)
    {
        if (m <= 0 || n <= 0)
        {
            return;
        }
        if (k <= 0 || alpha == 0)
        {
            ScaleC(c, m, n, ldc, beta);
            return;
        }
        bool wide = kernel switch
        {
            Kernel.Avx512 when !Avx512Usable => throw new PlatformNotSupportedException("The AVX-512 GEMM kernel needs AVX-512F."),
            Kernel.Avx512 => true,
            Kernel.Portable => false,
            _ => Avx512Usable,
        };
        int nr = wide ? 32 : 2 * Vector<float>.Count;

        int kcMax = Math.Min(k, KC);
        int ncMax = RoundUp(Math.Min(n, NC), nr);
        int mcMax = RoundUp(Math.Min(m, MC), MR);
        var packA = Rent(ref t_packA, mcMax * kcMax);
        var packB = Rent(ref t_packB, ncMax * kcMax);

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pC = c)
        fixed (float* pA0 = packA)
        fixed (float* pB0 = packB)
        {
            float* bufA = Align64(pA0);
            float* bufB = Align64(pB0);
            float* tile = stackalloc float[(MR * Math.Max(32, nr)) + 16];
            float* tileBuf = Align64(tile);
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    PackB(pb, ldb, transB, pc, jc, kc, nc, nr, bufB);
                    // The first k-block applies β; later ones accumulate into what it wrote.
                    float betaEff = pc == 0 ? beta : 1f;
                    for (int ic = 0; ic < m; ic += MC)
                    {
                        int mc = Math.Min(MC, m - ic);
                        PackA(pa, lda, transA, ic, pc, mc, kc, bufA);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int nrEff = Math.Min(nr, nc - jr);
                            float* bPanel = bufB + (jr * kc);
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                int mrEff = Math.Min(MR, mc - ir);
                                float* aPanel = bufA + (ir * kc);
                                float* cTile = pC + ((long)(ic + ir) * ldc) + jc + jr;
                                if (mrEff == MR && nrEff == nr)
                                {
                                    RunKernel(wide, kc, aPanel, bPanel, cTile, ldc, alpha, betaEff);
                                }
                                else
                                {
                                    // Edge tile: compute the full padded tile aside, then merge the valid part.
                                    RunKernel(wide, kc, aPanel, bPanel, tileBuf, nr, 1f, 0f);
                                    MergeEdge(tileBuf, nr, cTile, ldc, mrEff, nrEff, alpha, betaEff);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunKernel(bool wide, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        if (wide)
        {
            Kernel6x32(kc, a, b, c, ldc, alpha, beta);
        }
        else
        {
            KernelPortable(kc, a, b, c, ldc, alpha, beta);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeEdge(float* tile, int ldt, float* c, int ldc, int rows, int cols, float alpha, float beta)
    {
        for (int i = 0; i < rows; i++)
        {
            float* src = tile + (i * ldt);
            float* dst = c + ((long)i * ldc);
            if (beta == 0)
            {
                for (int j = 0; j < cols; j++)
                {
                    dst[j] = alpha * src[j];
                }
            }
            else
            {
                for (int j = 0; j < cols; j++)
                {
                    dst[j] = (alpha * src[j]) + (beta * dst[j]);
                }
            }
        }
    }

    /// <summary>Packs op(A)[ic.., pc..] (mc×kc) into MR-row panels: panel r holds, for each p, MR consecutive rows' values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(float* a, int lda, bool transA, int ic, int pc, int mc, int kc, float* dst)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int rows = Math.Min(MR, mc - ir);
            float* panel = dst + (ir * kc);
            if (!transA)
            {
                // A is m×k: row i is contiguous in p.
                for (int ii = 0; ii < rows; ii++)
                {
                    float* src = a + ((long)(ic + ir + ii) * lda) + pc;
                    for (int p = 0; p < kc; p++)
                    {
                        panel[(p * MR) + ii] = src[p];
                    }
                }
            }
            else
            {
                // A is stored k×m: for each p the MR rows are contiguous.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + ((long)(pc + p) * lda) + ic + ir;
                    float* d = panel + (p * MR);
                    for (int ii = 0; ii < rows; ii++)
                    {
                        d[ii] = src[ii];
                    }
                }
            }
            if (rows < MR)
            {
                for (int p = 0; p < kc; p++)
                {
                    new Span<float>(panel + (p * MR) + rows, MR - rows).Clear();
                }
            }
        }
    }

    /// <summary>Packs op(B)[pc.., jc..] (kc×nc) into nr-column panels: panel j holds, for each p, nr consecutive columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(float* b, int ldb, bool transB, int pc, int jc, int kc, int nc, int nr, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = dst + (jr * kc);
            if (!transB)
            {
                // B is k×n: each row slice of nr columns is contiguous.
                for (int p = 0; p < kc; p++)
                {
                    var src = new ReadOnlySpan<float>(b + ((long)(pc + p) * ldb) + jc + jr, cols);
                    var d = new Span<float>(panel + (p * nr), nr);
                    src.CopyTo(d);
                    if (cols < nr)
                    {
                        d[cols..].Clear();
                    }
                }
            }
            else
            {
                // B is stored n×k: column j of op(B) is row j of storage, contiguous in p.
                for (int jj = 0; jj < cols; jj++)
                {
                    float* src = b + ((long)(jc + jr + jj) * ldb) + pc;
                    for (int p = 0; p < kc; p++)
                    {
                        panel[(p * nr) + jj] = src[p];
                    }
                }
                if (cols < nr)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        new Span<float>(panel + (p * nr) + cols, nr - cols).Clear();
                    }
                }
            }
        }
    }

    /// <summary>C[6×32] = α·Σₚ a[:,p]·b[p,:] + β·C with 12 zmm accumulators (β = 0 never reads C).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x32(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(av, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(av, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(av, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(av, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(av, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(av, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
            a += MR;
            b += 32;
        }
        var va = Vector512.Create(alpha);
        if (beta == 0)
        {
            Put512(c, c00 * va, c01 * va);
            Put512(c + ldc, c10 * va, c11 * va);
            Put512(c + (2L * ldc), c20 * va, c21 * va);
            Put512(c + (3L * ldc), c30 * va, c31 * va);
            Put512(c + (4L * ldc), c40 * va, c41 * va);
            Put512(c + (5L * ldc), c50 * va, c51 * va);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Update512(c, c00, c01, va, vb);
            Update512(c + ldc, c10, c11, va, vb);
            Update512(c + (2L * ldc), c20, c21, va, vb);
            Update512(c + (3L * ldc), c30, c31, va, vb);
            Update512(c + (4L * ldc), c40, c41, va, vb);
            Update512(c + (5L * ldc), c50, c51, va, vb);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put512(float* c, Vector512<float> x0, Vector512<float> x1)
    {
        Vector512.Store(x0, c);
        Vector512.Store(x1, c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update512(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> va, Vector512<float> vb)
    {
        Vector512.Store((x0 * va) + (Vector512.Load(c) * vb), c);
        Vector512.Store((x1 * va) + (Vector512.Load(c + 16) * vb), c + 16);
    }

    /// <summary>Portable 6×(2·W) kernel on <see cref="Vector{T}"/> (W lanes); uses FMA where the hardware has it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelPortable(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        int w = Vector<float>.Count;
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector.Load(b);
            var b1 = Vector.Load(b + w);
            var av = new Vector<float>(a[0]);
            c00 = Vector.MultiplyAddEstimate(av, b0, c00);
            c01 = Vector.MultiplyAddEstimate(av, b1, c01);
            av = new Vector<float>(a[1]);
            c10 = Vector.MultiplyAddEstimate(av, b0, c10);
            c11 = Vector.MultiplyAddEstimate(av, b1, c11);
            av = new Vector<float>(a[2]);
            c20 = Vector.MultiplyAddEstimate(av, b0, c20);
            c21 = Vector.MultiplyAddEstimate(av, b1, c21);
            av = new Vector<float>(a[3]);
            c30 = Vector.MultiplyAddEstimate(av, b0, c30);
            c31 = Vector.MultiplyAddEstimate(av, b1, c31);
            av = new Vector<float>(a[4]);
            c40 = Vector.MultiplyAddEstimate(av, b0, c40);
            c41 = Vector.MultiplyAddEstimate(av, b1, c41);
            av = new Vector<float>(a[5]);
            c50 = Vector.MultiplyAddEstimate(av, b0, c50);
            c51 = Vector.MultiplyAddEstimate(av, b1, c51);
            a += MR;
            b += 2 * w;
        }
        var va = new Vector<float>(alpha);
        var vb = new Vector<float>(beta);
        bool readC = beta != 0;
        UpdatePortable(c, c00, c01, va, vb, readC);
        UpdatePortable(c + ldc, c10, c11, va, vb, readC);
        UpdatePortable(c + (2L * ldc), c20, c21, va, vb, readC);
        UpdatePortable(c + (3L * ldc), c30, c31, va, vb, readC);
        UpdatePortable(c + (4L * ldc), c40, c41, va, vb, readC);
        UpdatePortable(c + (5L * ldc), c50, c51, va, vb, readC);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdatePortable(float* c, Vector<float> x0, Vector<float> x1, Vector<float> va, Vector<float> vb, bool readC)
    {
        int w = Vector<float>.Count;
        if (readC)
        {
            Vector.Store((x0 * va) + (Vector.Load(c) * vb), c);
            Vector.Store((x1 * va) + (Vector.Load(c + w) * vb), c + w);
        }
        else
        {
            Vector.Store(x0 * va, c);
            Vector.Store(x1 * va, c + w);
        }
    }

    private static void ScaleC(Span<float> c, int m, int n, int ldc, float beta)
    {
        if (beta == 1)
        {
            return;
        }
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0)
            {
                row.Clear();
            }
            else
            {
                TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    private static float[] Rent(ref float[]? cache, int size)
    {
        int needed = size + 16;
        if (cache is null || cache.Length < needed)
        {
            cache = GC.AllocateUninitializedArray<float>(needed, pinned: true);
        }
        return cache;
    }

    private static float* Align64(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
