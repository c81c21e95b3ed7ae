using System.Runtime.InteropServices;
using DeepMetric.Data.Glyphs.Interop;

namespace DeepMetric.Data.Glyphs;

/// <summary>
/// An open FreeType face over a copy of the font file in native memory (FreeType reads it for the face's lifetime).
/// Dispose before the <see cref="FreeTypeLibrary"/> that opened it.
/// </summary>
internal sealed unsafe class FontFace : IDisposable
{
    private readonly FreeTypeLibrary _library;
    private nint _face;
    private byte* _data;
    private uint _pixelSize;

    private FontFace(FreeTypeLibrary library, nint face, byte* data, string name)
    {
        _library = library;
        _face = face;
        _data = data;
        Name = name;
        var rec = (FreeTypeNative.FaceRec*)face;
        Family = Marshal.PtrToStringUTF8(rec->FamilyName) ?? "";
        Style = Marshal.PtrToStringUTF8(rec->StyleName) ?? "";
    }

    /// <summary>The font's file name.</summary>
    public string Name { get; }

    /// <summary>The family name FreeType reports (e.g. "Noto Sans").</summary>
    public string Family { get; }

    /// <summary>The style name FreeType reports (e.g. "Bold").</summary>
    public string Style { get; }

    internal static FontFace? TryOpen(FreeTypeLibrary library, byte[] bytes, string name)
    {
        if (bytes.Length == 0)
        {
            return null;
        }
        byte* data = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
        bytes.CopyTo(new Span<byte>(data, bytes.Length));
        int error = FreeTypeNative.NewMemoryFace(library.Handle, data, new CLong(bytes.Length), new CLong(0), out nint face);
        if (error != 0 || face == 0)
        {
            NativeMemory.Free(data);
            return null;
        }
        return new FontFace(library, face, data, name);
    }

    /// <summary>True when the font's Unicode character map has a glyph for <paramref name="codePoint"/> (index != 0, not .notdef).</summary>
    public bool HasGlyph(int codePoint) => GlyphIndex(codePoint) != 0;

    private uint GlyphIndex(int codePoint) => FreeTypeNative.GetCharIndex(Handle, new CULong((uint)codePoint));

    /// <summary>
    /// Renders <paramref name="codePoint"/> unhinted at <paramref name="pixelSize"/> pixels per em as 8-bit coverage,
    /// cropped to its ink. Null when the font has no glyph for it, FreeType fails, or the glyph has no ink.
    /// </summary>
    public GlyphBitmap? Render(int codePoint, int pixelSize)
    {
        uint index = GlyphIndex(codePoint);
        if (index == 0)
        {
            return null;
        }
        if (_pixelSize != (uint)pixelSize)
        {
            if (FreeTypeNative.SetPixelSizes(Handle, 0, (uint)pixelSize) != 0)
            {
                return null;
            }
            _pixelSize = (uint)pixelSize;
        }
        if (FreeTypeNative.LoadGlyph(Handle, index, FreeTypeNative.LoadRender | FreeTypeNative.LoadNoHinting | FreeTypeNative.LoadNoBitmap) != 0)
        {
            return null;
        }
        var slot = (FreeTypeNative.GlyphSlotRec*)((FreeTypeNative.FaceRec*)Handle)->Glyph;
        var bitmap = slot->Bitmap;
        if (bitmap.PixelMode != FreeTypeNative.PixelModeGray || bitmap.Buffer == 0 || bitmap.Rows == 0 || bitmap.Width == 0)
        {
            return null;
        }
        int rows = (int)bitmap.Rows, width = (int)bitmap.Width;
        var pixels = new byte[rows * width];
        for (int y = 0; y < rows; y++)
        {
            // A negative pitch means the rows are stored bottom-up; Buffer points at the top row either way.
            new ReadOnlySpan<byte>((byte*)bitmap.Buffer + ((long)y * bitmap.Pitch), width).CopyTo(pixels.AsSpan(y * width, width));
        }
        return GlyphBitmap.Crop(pixels, width, rows);
    }

    private nint Handle => _face != 0 && _library.Handle != 0 ? _face : throw new ObjectDisposedException(Name);

    public void Dispose()
    {
        if (_face != 0)
        {
            _ = FreeTypeNative.DoneFace(_face);
            _face = 0;
            NativeMemory.Free(_data);
            _data = null;
        }
    }
}
