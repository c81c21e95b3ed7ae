using DeepMetric.Tensors.Interop;

namespace DeepMetric.Tensors;

/// <summary>
/// Single-precision matrix multiply <c>C = α·op(A)·op(B) + β·C</c> on row-major spans, dispatched to
/// OpenBLAS when present and to <see cref="ManagedGemm"/> otherwise. Set the environment variable
/// <c>DEEPMETRIC_BLAS=managed</c> (or <see cref="Backend"/>) to force the managed kernel.
/// </summary>
/// <remarks>
/// Parallelism is ours, not the BLAS library's: OpenBLAS runs single-threaded (unless OPENBLAS_NUM_THREADS says
/// otherwise), and a large product is split into row or column blocks run on <see cref="KernelThreads"/>. Two thread
/// pools on two cores fought each other (OpenBLAS's idle workers spin), and a GEMM inside a kernel worker range must
/// not start threads of its own. Each block is an independent product, so the result does not depend on the split.
/// </remarks>
public static class Gemm
{
    // Below this many multiply-adds (about 40 µs of work) a split costs more than it saves.
    private const long ParallelMacs = 1L << 21;

    // Blocks narrower than this run the micro-kernels mostly on ragged edges.
    private const int MinBlock = 32;

    // The chosen backend as an int (Unchosen until first use). Not a GemmBackend?: a nullable struct is two fields, and
    // two workers choosing at once could read HasValue before Value and get OpenBlas (0) before OpenBLAS was loaded.
    private const int Unchosen = -1;
    private static int s_backend = Unchosen;

    /// <summary>The backend in use. Defaults to OpenBLAS when it loads, unless DEEPMETRIC_BLAS=managed.</summary>
    public static GemmBackend Backend
    {
        get
        {
            int chosen = Volatile.Read(ref s_backend);
            if (chosen == Unchosen)
            {
                // Every thread that gets here computes the same answer; the first to store it wins.
                Interlocked.CompareExchange(ref s_backend, (int)ChooseDefault(), Unchosen);
                chosen = Volatile.Read(ref s_backend);
            }
            return (GemmBackend)chosen;
        }
        set
        {
            if (value == GemmBackend.OpenBlas && !OpenBlasNative.IsAvailable)
            {
                throw new InvalidOperationException("OpenBLAS is not available on this machine (install libopenblas0-pthread); use GemmBackend.Managed.");
            }
            Volatile.Write(ref s_backend, (int)value);
        }
    }

    /// <summary>True when a CBLAS library could be loaded.</summary>
    public static bool OpenBlasAvailable => OpenBlasNative.IsAvailable;

    /// <summary>The kernel family OpenBLAS selected for this CPU (e.g. "SkylakeX"), or null without OpenBLAS.</summary>
    public static string? NativeCoreName => OpenBlasNative.IsAvailable ? OpenBlasNative.CoreName : null;

    /// <summary>Name of the native library in use, if any.</summary>
    public static string? NativeLibraryName => OpenBlasNative.IsAvailable ? OpenBlasNative.LoadedName : null;

    private static GemmBackend ChooseDefault()
    {
        var env = Environment.GetEnvironmentVariable("DEEPMETRIC_BLAS");
        if (string.Equals(env, "managed", StringComparison.OrdinalIgnoreCase))
        {
            return GemmBackend.Managed;
        }
        if (env is not null && !string.Equals(env, "openblas", StringComparison.OrdinalIgnoreCase) && !string.Equals(env, "auto", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"DEEPMETRIC_BLAS must be 'managed', 'openblas' or 'auto', got '{env}'.");
        }
        return OpenBlasNative.IsAvailable ? GemmBackend.OpenBlas : GemmBackend.Managed;
    }

    /// <summary>
    /// Row-major SGEMM: C[m×n] = α·op(A)·op(B) + β·C where op(A) is m×k and op(B) is k×n.
    /// </summary>
    public static unsafe void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        CheckSize(a, transA ? k : m, transA ? m : k, lda, nameof(a));
        CheckSize(b, transB ? n : k, transB ? k : n, ldb, nameof(b));
        CheckSize(c, m, n, ldc, nameof(c));
        if (k == 0)
        {
            ScaleC(c, m, n, ldc, beta);
            return;
        }
        // Chosen once, here: both blocks of a split product use the same backend even if Backend is set meanwhile.
        var backend = Backend;
        if ((long)m * n * k >= ParallelMacs && Math.Max(m, n) >= 2 * MinBlock && KernelThreads.WouldSplit(Math.Max(m, n)))
        {
            MultiplySplit(backend, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        MultiplyBlock(backend, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    // Two row blocks (or column blocks when C is wider than tall), each a product of its own. Element offsets:
    // rows i of op(A) start at a[i·lda] (or a[i] when transposed); columns j of op(B) at b[j] (or b[j·ldb]).
    private static unsafe void MultiplySplit(GemmBackend backend, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        bool byRows = m >= n;
        fixed (float* pa0 = a)
        fixed (float* pb0 = b)
        fixed (float* pc0 = c)
        {
            // Raw pointers: spans cannot be captured by the worker lambda; the arrays stay pinned until For returns.
            nint pa = (nint)pa0, pb = (nint)pb0, pc = (nint)pc0;
            int aLen = a.Length, bLen = b.Length, cLen = c.Length;
            KernelThreads.For(byRows ? m : n, (_, from, to) =>
            {
                var sa = new ReadOnlySpan<float>((float*)pa, aLen);
                var sb = new ReadOnlySpan<float>((float*)pb, bLen);
                var sc = new Span<float>((float*)pc, cLen);
                if (byRows)
                {
                    int aOff = transA ? from : from * lda;
                    MultiplyBlock(backend, transA, transB, to - from, n, k, alpha, sa[aOff..], lda, sb, ldb, beta, sc[(from * ldc)..], ldc);
                }
                else
                {
                    int bOff = transB ? from * ldb : from;
                    MultiplyBlock(backend, transA, transB, m, to - from, k, alpha, sa, lda, sb[bOff..], ldb, beta, sc[from..], ldc);
                }
            });
        }
    }

    private static unsafe void MultiplyBlock(GemmBackend backend, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (backend == GemmBackend.OpenBlas)
        {
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
            {
                OpenBlasNative.Sgemm(OpenBlasNative.RowMajor, transA ? OpenBlasNative.Trans : OpenBlasNative.NoTrans,
                    transB ? OpenBlasNative.Trans : OpenBlasNative.NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            }
            return;
        }
        ManagedGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static void ScaleC(Span<float> c, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0)
            {
                row.Clear();
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    private static void CheckSize(ReadOnlySpan<float> s, int rows, int cols, int ld, string name)
    {
        if (ld < Math.Max(1, cols) || (rows > 0 && s.Length < ((rows - 1) * ld) + cols))
        {
            throw new ArgumentException($"Gemm: matrix '{name}' ({rows}×{cols}, leading dimension {ld}) does not fit in {s.Length} elements.", name);
        }
    }
}
