namespace DeepMetric.Data.Images;

/// <summary>
/// Walks the marker structure of a JPEG file (ITU-T T.81, Annex B) to tell whether it reaches its end-of-image
/// marker. Decoders commonly fill a truncated scan with grey and report success; a training set should not silently
/// learn from half-grey photos, so a file that stops before EOI is rejected.
/// </summary>
internal static class JpegStructure
{
    /// <summary>True when <paramref name="data"/> starts with SOI and its segments lead to an EOI marker.</summary>
    public static bool IsComplete(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            return false;
        }
        int p = 2;
        while (p + 1 < data.Length)
        {
            if (data[p] != 0xFF)
            {
                p++;   // stray byte between segments; decoders skip these too
                continue;
            }
            byte marker = data[p + 1];
            if (marker == 0xFF)
            {
                p++;   // fill byte before a marker
                continue;
            }
            if (marker == 0xD9)
            {
                return true;
            }
            if (marker == 0x01 || marker is >= 0xD0 and <= 0xD7)
            {
                p += 2;   // markers without a length
                continue;
            }
            if (p + 3 >= data.Length)
            {
                return false;
            }
            int length = (data[p + 2] << 8) | data[p + 3];
            if (length < 2)
            {
                return false;
            }
            p += 2 + length;
            if (marker == 0xDA)
            {
                // Entropy-coded data follows the scan header: 0xFF is stuffed as FF 00 and restart markers sit
                // inside, so the scan ends at the first other marker.
                while (p + 1 < data.Length && !(data[p] == 0xFF && data[p + 1] is not (0x00 or 0xFF) and not (>= 0xD0 and <= 0xD7)))
                {
                    p++;
                }
            }
        }
        return false;
    }
}
