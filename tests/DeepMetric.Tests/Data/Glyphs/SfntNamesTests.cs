using System.Buffers.Binary;
using System.Text;
using DeepMetric.Data.Glyphs;

namespace DeepMetric.Tests.Data.Glyphs;

public sealed class SfntNamesTests
{
    // An SFNT with one table, 'name', holding a Macintosh record and a Windows record for ID 5.
    private static byte[] Font()
    {
        byte[] mac = Encoding.Latin1.GetBytes("Mac 1.0");
        byte[] win = Encoding.BigEndianUnicode.GetBytes("Version 2.5");
        var name = new byte[6 + (2 * 12) + mac.Length + win.Length];
        BinaryPrimitives.WriteUInt16BigEndian(name.AsSpan(2), 2);
        BinaryPrimitives.WriteUInt16BigEndian(name.AsSpan(4), 6 + 24);
        void Record(int i, int platform, int length, int offset)
        {
            var r = name.AsSpan(6 + (12 * i));
            BinaryPrimitives.WriteUInt16BigEndian(r, (ushort)platform);
            BinaryPrimitives.WriteUInt16BigEndian(r[6..], 5);
            BinaryPrimitives.WriteUInt16BigEndian(r[8..], (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(r[10..], (ushort)offset);
        }
        Record(0, 1, mac.Length, 0);
        Record(1, 3, win.Length, mac.Length);
        mac.CopyTo(name, 30);
        win.CopyTo(name, 30 + mac.Length);
        var font = new byte[12 + 16 + name.Length];
        BinaryPrimitives.WriteUInt32BigEndian(font, 0x00010000);
        BinaryPrimitives.WriteUInt16BigEndian(font.AsSpan(4), 1);
        "name"u8.CopyTo(font.AsSpan(12));
        BinaryPrimitives.WriteUInt32BigEndian(font.AsSpan(20), 28);
        BinaryPrimitives.WriteUInt32BigEndian(font.AsSpan(24), (uint)name.Length);
        name.CopyTo(font, 28);
        return font;
    }

    [Fact]
    public void PrefersTheWindowsRecord() => Assert.Equal("Version 2.5", SfntNames.Read(Font(), SfntNames.VersionId));

    [Fact]
    public void AbsentOrTruncatedGivesNull()
    {
        Assert.Null(SfntNames.Read(Font(), 4));
        Assert.Null(SfntNames.Read(Font().AsSpan(0, 40), SfntNames.VersionId));
        Assert.Null(SfntNames.Read([1, 2, 3], SfntNames.VersionId));
    }
}
