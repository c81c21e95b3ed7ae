using System.IO.Compression;

namespace DeepMetric.Tests.Data;

/// <summary>Writes IDX files byte by byte (big-endian header by hand), independent of the reader under test.</summary>
internal static class IdxTestFiles
{
    public static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var bytes = new List<byte>();
        AddBigEndian(bytes, magic);
        foreach (var d in dims)
        {
            AddBigEndian(bytes, d);
        }
        bytes.AddRange(data);
        return [.. bytes];
    }

    public static byte[] Gzip(byte[] content)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(content);
        }
        return ms.ToArray();
    }

    public static void WriteImages(string path, int count, int rows, int cols, byte[] pixels, bool gzip = false) =>
        Write(path, Idx(0x00000803, [count, rows, cols], pixels), gzip);

    public static void WriteLabels(string path, byte[] labels, bool gzip = false) =>
        Write(path, Idx(0x00000801, [labels.Length], labels), gzip);

    public static void Write(string path, byte[] content, bool gzip) => File.WriteAllBytes(path, gzip ? Gzip(content) : content);

    /// <summary>
    /// A tiny but complete Fashion-MNIST-shaped directory: <paramref name="perClass"/> 28×28 images per class in
    /// both splits; each image is filled with its label value, so tests can tell images apart.
    /// </summary>
    public static string WriteFashionMnistDir(string dir, int perClass = 2, bool gzip = true)
    {
        Directory.CreateDirectory(dir);
        foreach (var split in new[] { "train", "t10k" })
        {
            int n = perClass * 10;
            var labels = new byte[n];
            var pixels = new byte[n * 28 * 28];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)(i % 10);
                pixels.AsSpan(i * 784, 784).Fill((byte)(i % 10));
            }
            var suffix = gzip ? ".gz" : "";
            WriteImages(Path.Combine(dir, $"{split}-images-idx3-ubyte{suffix}"), n, 28, 28, pixels, gzip);
            WriteLabels(Path.Combine(dir, $"{split}-labels-idx1-ubyte{suffix}"), labels, gzip);
        }
        return dir;
    }

    private static void AddBigEndian(List<byte> bytes, int value)
    {
        bytes.Add((byte)((uint)value >> 24));
        bytes.Add((byte)((uint)value >> 16));
        bytes.Add((byte)((uint)value >> 8));
        bytes.Add((byte)value);
    }
}
