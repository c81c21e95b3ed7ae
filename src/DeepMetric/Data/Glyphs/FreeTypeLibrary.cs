using System.Globalization;
using DeepMetric.Data.Glyphs.Interop;

namespace DeepMetric.Data.Glyphs;

/// <summary>
/// One FreeType library instance (Turner, Wilhelm and Lemberg, "The FreeType Project"). Not thread-safe: one thread
/// opens and renders its faces.
/// </summary>
internal sealed class FreeTypeLibrary : IDisposable
{
    private nint _handle;

    private FreeTypeLibrary(nint handle)
    {
        _handle = handle;
        FreeTypeNative.LibraryVersion(handle, out int major, out int minor, out int patch);
        Version = string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}.{patch}");
    }

    /// <summary>True when libfreetype.so.6 can be loaded on this machine.</summary>
    public static bool IsAvailable => FreeTypeNative.IsAvailable;

    /// <summary>The FreeType version, e.g. "2.12.1".</summary>
    public string Version { get; }

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(FreeTypeLibrary));

    /// <summary>Initialises FreeType.</summary>
    /// <exception cref="DllNotFoundException">libfreetype.so.6 is not installed (Debian: apt install libfreetype6).</exception>
    public static FreeTypeLibrary Create()
    {
        if (!IsAvailable)
        {
            throw new DllNotFoundException($"FreeType ({FreeTypeNative.Library}) is not installed; on Debian: apt install libfreetype6.");
        }
        int error = FreeTypeNative.InitFreeType(out nint handle);
        if (error != 0)
        {
            throw new InvalidOperationException($"FT_Init_FreeType failed with FreeType error {error}.");
        }
        return new FreeTypeLibrary(handle);
    }

    /// <summary>Opens face 0 of a font file held in <paramref name="fontBytes"/>; null when FreeType cannot read it.</summary>
    public FontFace? TryOpen(byte[] fontBytes, string name) => FontFace.TryOpen(this, fontBytes, name);

    public void Dispose()
    {
        if (_handle != 0)
        {
            _ = FreeTypeNative.DoneFreeType(_handle);
            _handle = 0;
        }
    }
}
