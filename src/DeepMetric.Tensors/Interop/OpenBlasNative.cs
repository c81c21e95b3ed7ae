using System.Reflection;
using System.Runtime.InteropServices;

namespace DeepMetric.Tensors.Interop;

/// <summary>
/// P/Invoke into a CBLAS library: OpenBLAS (<c>libopenblas.so.0</c>) or, failing that, the reference
/// <c>libblas.so.3</c>. The logical library name is resolved once, at first use.
/// </summary>
internal static partial class OpenBlasNative
{
    private const string Library = "deepmetric_blas";

    public const int RowMajor = 101;
    public const int NoTrans = 111;
    public const int Trans = 112;

    private static readonly Lazy<IntPtr> s_handle = new(Load);

    /// <summary>The loaded library's file name, or null when none could be loaded.</summary>
    public static string? LoadedName { get; private set; }

    /// <summary>True when a CBLAS library with <c>cblas_sgemm</c> was found.</summary>
    public static bool IsAvailable => s_handle.Value != IntPtr.Zero;

    [LibraryImport(Library, EntryPoint = "cblas_sgemm")]
    public static unsafe partial void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    /// <summary>The kernel family OpenBLAS chose (e.g. "SkylakeX", "Haswell"), or null when unknown.</summary>
    public static unsafe string? CoreName
    {
        get
        {
            if (!IsAvailable || !NativeLibrary.TryGetExport(s_handle.Value, "openblas_get_corename", out var fn))
            {
                return null;
            }
            var name = ((delegate* unmanaged<byte*>)fn)();
            return name is null ? null : Marshal.PtrToStringUTF8((IntPtr)name);
        }
    }

    private static IntPtr Load()
    {
        // OpenBLAS reads OPENBLAS_CORETYPE from the native environment when it loads; .NET keeps its own
        // copy of the environment, so the variable must go through libc before the library is opened.
        // On AVX-512 machines the SkylakeX kernels are about twice as fast as the default choice here.
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is null)
        {
            TrySetNative("OPENBLAS_CORETYPE", "SkylakeX");
        }
        if (Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS") is { } threads)
        {
            TrySetNative("OPENBLAS_NUM_THREADS", threads);
        }
        foreach (var name in new[] { "libopenblas.so.0", "libopenblas.so", "libblas.so.3", "libopenblas.dylib", "libopenblas.dll" })
        {
            if (NativeLibrary.TryLoad(name, out var h))
            {
                if (NativeLibrary.TryGetExport(h, "cblas_sgemm", out _))
                {
                    LoadedName = name;
                    SingleThreaded(h);
                    NativeLibrary.SetDllImportResolver(typeof(OpenBlasNative).Assembly, Resolve);
                    return h;
                }
                NativeLibrary.Free(h);
            }
        }
        return IntPtr.Zero;
    }

    /// <summary>
    /// Our kernels split large products over their own worker threads (see <see cref="Gemm"/>), so OpenBLAS runs each
    /// call on the calling thread: its own pool would put idle spinning threads beside ours on the same cores. A user's
    /// OPENBLAS_NUM_THREADS is left to OpenBLAS.
    /// </summary>
    private static unsafe void SingleThreaded(IntPtr library)
    {
        if (Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS") is null
            && NativeLibrary.TryGetExport(library, "openblas_set_num_threads", out var fn))
        {
            ((delegate* unmanaged<int, void>)fn)(1);
        }
    }

    /// <summary>
    /// Sets a variable in the C runtime's environment through libc's <c>setenv</c>, found by name at run time
    /// ("libc" alone does not resolve on glibc, where libc.so is a linker script).
    /// </summary>
    private static unsafe void TrySetNative(string name, string value)
    {
        foreach (var lib in new[] { "libc.so.6", "libc.so", "libc" })
        {
            if (!NativeLibrary.TryLoad(lib, out var h))
            {
                continue;
            }
            if (NativeLibrary.TryGetExport(h, "setenv", out var fn))
            {
                var setenv = (delegate* unmanaged<byte*, byte*, int, int>)fn;
                byte[] n = System.Text.Encoding.UTF8.GetBytes(name + "\0"), v = System.Text.Encoding.UTF8.GetBytes(value + "\0");
                fixed (byte* pn = n)
                fixed (byte* pv = v)
                {
                    _ = setenv(pn, pv, 0);
                }
                return;
            }
        }
        // Not a C runtime with setenv: the native library will use its own defaults.
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Library ? s_handle.Value : IntPtr.Zero;
}
