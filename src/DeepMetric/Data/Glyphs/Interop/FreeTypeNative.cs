using System.Runtime.InteropServices;

namespace DeepMetric.Data.Glyphs.Interop;

/// <summary>
/// P/Invoke into FreeType 2 (<c>libfreetype.so.6</c>, Debian's libfreetype6). Only the calls the glyph renderer needs:
/// open a face, set a pixel size, map a code point to a glyph index, load and render the glyph as 8-bit coverage.
/// The structures mirror the public FreeType headers (freetype.h, ftimage.h) up to the last field read;
/// <c>FT_Long</c>/<c>FT_Pos</c>/<c>FT_Fixed</c> are C <c>long</c>, hence <see cref="CLong"/>.
/// </summary>
internal static partial class FreeTypeNative
{
    // The exact soname: the runtime's default probing finds it without a custom resolver (an assembly may have only one).
    internal const string Library = "libfreetype.so.6";

    /// <summary>FT_LOAD_NO_HINTING: unhinted outlines (the same shapes whatever the hinting engine).</summary>
    internal const int LoadNoHinting = 1 << 1;

    /// <summary>FT_LOAD_RENDER: render the glyph into the slot's bitmap after loading it.</summary>
    internal const int LoadRender = 1 << 2;

    /// <summary>FT_LOAD_NO_BITMAP: ignore embedded bitmap strikes (scalable outlines only).</summary>
    internal const int LoadNoBitmap = 1 << 3;

    /// <summary>FT_PIXEL_MODE_GRAY: one byte of coverage per pixel.</summary>
    internal const byte PixelModeGray = 2;

    private static readonly Lazy<bool> s_available = new(() =>
    {
        if (!NativeLibrary.TryLoad(Library, out var handle))
        {
            return false;
        }
        bool ok = NativeLibrary.TryGetExport(handle, "FT_Init_FreeType", out _);
        NativeLibrary.Free(handle);
        return ok;
    });

    /// <summary>True when libfreetype.so.6 can be loaded.</summary>
    internal static bool IsAvailable => s_available.Value;

    [LibraryImport(Library, EntryPoint = "FT_Init_FreeType")]
    internal static partial int InitFreeType(out nint library);

    [LibraryImport(Library, EntryPoint = "FT_Done_FreeType")]
    internal static partial int DoneFreeType(nint library);

    [LibraryImport(Library, EntryPoint = "FT_Library_Version")]
    internal static partial void LibraryVersion(nint library, out int major, out int minor, out int patch);

    [LibraryImport(Library, EntryPoint = "FT_New_Memory_Face")]
    internal static unsafe partial int NewMemoryFace(nint library, byte* fileBase, CLong fileSize, CLong faceIndex, out nint face);

    [LibraryImport(Library, EntryPoint = "FT_Done_Face")]
    internal static partial int DoneFace(nint face);

    [LibraryImport(Library, EntryPoint = "FT_Set_Pixel_Sizes")]
    internal static partial int SetPixelSizes(nint face, uint width, uint height);

    [LibraryImport(Library, EntryPoint = "FT_Get_Char_Index")]
    internal static partial uint GetCharIndex(nint face, CULong charCode);

    [LibraryImport(Library, EntryPoint = "FT_Load_Glyph")]
    internal static partial int LoadGlyph(nint face, uint glyphIndex, int loadFlags);

    /// <summary>The leading fields of <c>FT_FaceRec</c>, through <c>glyph</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FaceRec
    {
        public CLong NumFaces;
        public CLong FaceIndex;
        public CLong FaceFlags;
        public CLong StyleFlags;
        public CLong NumGlyphs;
        public nint FamilyName;
        public nint StyleName;
        public int NumFixedSizes;
        public nint AvailableSizes;
        public int NumCharmaps;
        public nint Charmaps;
        public nint GenericData;
        public nint GenericFinalizer;
        public CLong BBoxXMin;
        public CLong BBoxYMin;
        public CLong BBoxXMax;
        public CLong BBoxYMax;
        public ushort UnitsPerEm;
        public short Ascender;
        public short Descender;
        public short Height;
        public short MaxAdvanceWidth;
        public short MaxAdvanceHeight;
        public short UnderlinePosition;
        public short UnderlineThickness;
        public nint Glyph;
        public nint Size;
        public nint Charmap;
    }

    /// <summary>The leading fields of <c>FT_GlyphSlotRec</c>, through <c>bitmap_top</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct GlyphSlotRec
    {
        public nint Library;
        public nint Face;
        public nint Next;
        public uint GlyphIndex;
        public nint GenericData;
        public nint GenericFinalizer;
        public CLong MetricsWidth;
        public CLong MetricsHeight;
        public CLong HoriBearingX;
        public CLong HoriBearingY;
        public CLong HoriAdvance;
        public CLong VertBearingX;
        public CLong VertBearingY;
        public CLong VertAdvance;
        public CLong LinearHoriAdvance;
        public CLong LinearVertAdvance;
        public CLong AdvanceX;
        public CLong AdvanceY;
        public int Format;
        public Bitmap Bitmap;
        public int BitmapLeft;
        public int BitmapTop;
    }

    /// <summary><c>FT_Bitmap</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Bitmap
    {
        public uint Rows;
        public uint Width;
        public int Pitch;
        public nint Buffer;
        public ushort NumGrays;
        public byte PixelMode;
        public byte PaletteMode;
        public nint Palette;
    }
}
