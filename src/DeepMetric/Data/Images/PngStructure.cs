using System.Buffers.Binary;

namespace DeepMetric.Data.Images;

/// <summary>
/// Walks the chunks of a PNG file (PNG specification, section 5) to tell whether they reach IEND, so a file cut
/// short is found by the pre-flight check without inflating its image data.
/// </summary>
internal static class PngStructure
{
    /// <summary>True when <paramref name="data"/> is a signature followed by whole chunks up to and including IEND.</summary>
    public static bool IsComplete(ReadOnlySpan<byte> data)
    {
        long p = 8;
        while (p + 12 <= data.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[(int)p..]);
            bool end = data.Slice((int)p + 4, 4).SequenceEqual("IEND"u8);
            p += 12L + length;
            if (end)
            {
                return p <= data.Length;
            }
        }
        return false;
    }
}
