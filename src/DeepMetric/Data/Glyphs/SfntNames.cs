using System.Buffers.Binary;
using System.Text;

namespace DeepMetric.Data.Glyphs;

/// <summary>
/// Reads strings from the <c>name</c> table of a TrueType/OpenType file (OpenType specification, "name — Naming Table"),
/// in managed code so the metadata of a glyph set can be checked without FreeType.
/// </summary>
internal static class SfntNames
{
    /// <summary>Name ID 5: the version string ("Version 2.013; ttfautohint ...").</summary>
    internal const int VersionId = 5;

    /// <summary>
    /// The string with <paramref name="nameId"/>: a Windows Unicode record (platform 3, UTF-16BE) when present, else a
    /// Unicode-platform record (0, UTF-16BE), else a Macintosh Roman one (1, read as Latin-1); null when absent or the
    /// file is not an SFNT font.
    /// </summary>
    internal static string? Read(ReadOnlySpan<byte> font, int nameId)
    {
        if (font.Length < 12)
        {
            return null;
        }
        int tables = BinaryPrimitives.ReadUInt16BigEndian(font[4..]);
        for (int t = 0; t < tables; t++)
        {
            int entry = 12 + (16 * t);
            if (entry + 16 > font.Length)
            {
                return null;
            }
            if (font.Slice(entry, 4).SequenceEqual("name"u8))
            {
                long offset = BinaryPrimitives.ReadUInt32BigEndian(font[(entry + 8)..]);
                long length = BinaryPrimitives.ReadUInt32BigEndian(font[(entry + 12)..]);
                return offset + length <= font.Length ? FromTable(font.Slice((int)offset, (int)length), nameId) : null;
            }
        }
        return null;
    }

    private static string? FromTable(ReadOnlySpan<byte> table, int nameId)
    {
        if (table.Length < 6)
        {
            return null;
        }
        int count = BinaryPrimitives.ReadUInt16BigEndian(table[2..]);
        int storage = BinaryPrimitives.ReadUInt16BigEndian(table[4..]);
        string? best = null;
        int bestRank = int.MaxValue;
        for (int r = 0; r < count; r++)
        {
            int rec = 6 + (12 * r);
            if (rec + 12 > table.Length)
            {
                break;
            }
            int platform = BinaryPrimitives.ReadUInt16BigEndian(table[rec..]);
            int id = BinaryPrimitives.ReadUInt16BigEndian(table[(rec + 6)..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(table[(rec + 8)..]);
            int offset = BinaryPrimitives.ReadUInt16BigEndian(table[(rec + 10)..]);
            int rank = platform switch { 3 => 0, 0 => 1, 1 => 2, _ => int.MaxValue };
            if (id != nameId || rank >= bestRank || storage + offset + length > table.Length)
            {
                continue;
            }
            var bytes = table.Slice(storage + offset, length);
            best = platform == 1 ? Encoding.Latin1.GetString(bytes) : Encoding.BigEndianUnicode.GetString(bytes);
            bestRank = rank;
        }
        return best;
    }
}
