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

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

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
                    NativeLibrary.SetDllImportResolver(typeof(OpenBlasNative).Assembly, Resolve);
                    return h;
                }
                NativeLibrary.Free(h);
            }
        }
        return IntPtr.Zero;
    }

    private static void TrySetNative(string name, string value)
    {
        try
        {
            _ = SetEnv(name, value, 0);
        }
        catch (DllNotFoundException)
        {
            // Not a glibc platform: the native library will use its own defaults.
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Library ? s_handle.Value : IntPtr.Zero;
}
