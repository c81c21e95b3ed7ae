namespace DeepMetric.Reporting;

/// <summary>CRC-32 as used by PNG and zlib (ISO-HDLC: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF).</summary>
internal static class Crc32
{
    private static readonly uint[] s_table = BuildTable();

    /// <summary>Continues a CRC over <paramref name="data"/>; start with <c>0</c> and pass the previous result to chain.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data)
        {
            c = s_table[(c ^ b) & 0xFF] ^ (c >> 8);
        }
        return ~c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
