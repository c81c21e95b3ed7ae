using DeepMetric.Data;
using DeepMetric.Data.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StbImageSharp;

namespace DeepMetric.Benchmarks.Images;

/// <summary>
/// JPEG decode speed of the candidate libraries on the same files, one thread, files already in memory: ImageSharp
/// through <see cref="ImageReader"/> (what DeepMetric runs: header check, EOI check, decode, EXIF orientation, copy
/// out), ImageSharp's bare <c>Image.Load&lt;Rgb24&gt;</c>, and StbImageSharp. The folders come from
/// <c>bench/scripts/make_jpeg_folder.py</c>; set DEEPMETRIC_BENCH_JPEGS to a ':'-separated list of folders
/// (default /tmp/jpegsmall:/tmp/jpegphoto); a folder that does not exist is reported and skipped.
/// </summary>
public static class DecodeQuick
{
    /// <summary>Runs the measurement.</summary>
    public static IEnumerable<BenchRecord> Run()
    {
        string folders = Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_JPEGS") ?? "/tmp/jpegsmall:/tmp/jpegphoto";
        foreach (string folder in folders.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Directory.Exists(folder))
            {
                Console.Error.WriteLine($"decode: skipped '{folder}' (missing; make it with bench/scripts/make_jpeg_folder.py).");
                continue;
            }
            var files = Directory.GetFiles(folder, "*.jpg", SearchOption.AllDirectories);
            Array.Sort(files, StringComparer.Ordinal);
            var bytes = files.Select(File.ReadAllBytes).ToArray();
            string tag = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
            long pixels = 0;
            foreach (var b in bytes)
            {
                var info = Image.Identify(b);
                pixels += (long)info.Width * info.Height;
            }
            yield return new BenchRecord($"decode/{tag}/files", bytes.Length, "files");
            yield return new BenchRecord($"decode/{tag}/mean_megapixels", pixels / 1e6 / bytes.Length, "MP");
            foreach (var (name, decode) in Candidates())
            {
                // Same files, interleaved repeats: best of 5 passes (after one warm-up pass).
                double best = Measure.BestSeconds(() =>
                {
                    long sum = 0;
                    for (int i = 0; i < bytes.Length; i++)
                    {
                        sum += decode(bytes[i]);
                    }
                    GC.KeepAlive(sum);
                }, TimeSpan.FromSeconds(20), warmup: 1, maxReps: 5);
                yield return new BenchRecord($"decode/{tag}/{name}", bytes.Length / best, "images/s");
            }
        }
    }

    private static IEnumerable<(string Name, Func<byte[], long> Decode)> Candidates()
    {
        yield return ("imagesharp-reader", b => ImageReader.Decode(b, "bench.jpg", ImageColorMode.Rgb).ByteCount);
        yield return ("imagesharp-load", b =>
        {
            using var image = Image.Load<Rgb24>(b);
            return image.Width;
        });
        yield return ("stbimagesharp", b => ImageResult.FromMemory(b, ColorComponents.RedGreenBlue).Data.Length);
    }
}
