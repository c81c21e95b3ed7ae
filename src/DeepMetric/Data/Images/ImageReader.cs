using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DeepMetric.Data.Images;

/// <summary>
/// Decodes image files into <see cref="PixelImage"/>s through SixLabors.ImageSharp 2.1 (Apache-2.0, fully managed):
/// JPEG (baseline and progressive), PNG (1–16-bit, palette, alpha), BMP, GIF (first frame), WebP (lossy and
/// lossless), TGA, TIFF (first page) and PBM/PGM/PPM, recognised by content, not by extension. The EXIF orientation
/// is applied, so a photo comes out upright as a viewer shows it. Alpha is dropped; 16-bit samples are rounded to 8
/// bits; grey output uses the ITU-R BT.601 luma weights 0.299 R + 0.587 G + 0.114 B (as PIL's "L" mode).
/// </summary>
/// <remarks>
/// Hostile input: the header's size is checked against a pixel limit before any pixel buffer is allocated (a
/// decompression bomb, e.g. a small PNG claiming 100,000×100,000 pixels, is rejected without decoding); a JPEG that
/// stops before its end-of-image marker, or a PNG before its IEND chunk, is rejected rather than decoded half grey; every decoder failure becomes an
/// <see cref="InvalidDataException"/> naming the file. Safe to call from several threads at once.
/// </remarks>
public static class ImageReader
{
    /// <summary>The default pixel limit, 2^26 = 67,108,864 pixels (e.g. 8192×8192): far above a camera photo, far below what exhausts memory.</summary>
    public const long DefaultMaxPixels = 1L << 26;

    private static readonly string[] s_extensions =
        [".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".dib", ".gif", ".webp", ".tga", ".tif", ".tiff", ".pbm", ".pgm", ".ppm", ".pnm"];

    private static readonly Configuration s_configuration = CreateConfiguration();

    /// <summary>File extensions (lower case, with the dot) that folders are scanned for.</summary>
    public static IReadOnlyList<string> Extensions => s_extensions;

    /// <summary>True when <paramref name="path"/> has one of the <see cref="Extensions"/> (case-insensitive).</summary>
    public static bool HasImageExtension(string path) =>
        s_extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads and decodes the image file at <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">Grey (one channel) or RGB (three).</param>
    /// <param name="maxPixels">Width × height above which the file is rejected before decoding.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not an image, corrupt, truncated or larger than <paramref name="maxPixels"/> (the message names the file).</exception>
    public static PixelImage Read(string path, ImageColorMode mode, long maxPixels = DefaultMaxPixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        }
        return Decode(File.ReadAllBytes(path), path, mode, maxPixels);
    }

    /// <summary>Decodes an image held in memory; <paramref name="name"/> is what error messages call it.</summary>
    /// <exception cref="InvalidDataException">The bytes are empty, not an image, corrupt, truncated or larger than <paramref name="maxPixels"/>.</exception>
    public static PixelImage Decode(byte[] data, string name, ImageColorMode mode, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPixels);
        if (data.Length == 0)
        {
            throw new InvalidDataException($"Image file '{name}' is empty.");
        }
        using var stream = new MemoryStream(data, writable: false);
        CheckHeader(data, stream, name, maxPixels);
        stream.Position = 0;
        try
        {
            using var image = Image.Load<Rgb24>(s_configuration, stream);
            image.Mutate(static x => x.AutoOrient());
            return ToPixelImage(image, mode);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw Corrupt(name, ex);
        }
    }

    /// <summary>
    /// Checks a file without decoding its pixels: it exists, its format is known, its header's size is within
    /// <paramref name="maxPixels"/>, and a JPEG reaches its end-of-image marker and a PNG its IEND chunk. Cheap enough to run over a whole
    /// folder before training, so bad files are reported before anything is written.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file fails a check (the message names the file).</exception>
    public static void Check(string path, long maxPixels = DefaultMaxPixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPixels);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        }
        byte[] data = File.ReadAllBytes(path);
        if (data.Length == 0)
        {
            throw new InvalidDataException($"Image file '{path}' is empty.");
        }
        using var stream = new MemoryStream(data, writable: false);
        CheckHeader(data, stream, path, maxPixels);
    }

    private static void CheckHeader(byte[] data, MemoryStream stream, string name, long maxPixels)
    {
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(s_configuration, stream, out format);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw Corrupt(name, ex);
        }
        if (info is null || format is null)
        {
            throw new InvalidDataException($"Image file '{name}' is not an image in a format read here (JPEG, PNG, BMP, GIF, WebP, TGA, TIFF, PBM/PGM/PPM).");
        }
        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0 || pixels > maxPixels)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"Image file '{name}' claims {info.Width}×{info.Height} = {pixels:N0} pixels, over the limit of {maxPixels:N0}; not decoded (a decompression bomb or an image too large to train on)."));
        }
        if (format is JpegFormat && !JpegStructure.IsComplete(data))
        {
            throw new InvalidDataException($"Image file '{name}' is a truncated JPEG: it ends before its end-of-image marker.");
        }
        if (format is PngFormat && !PngStructure.IsComplete(data))
        {
            throw new InvalidDataException($"Image file '{name}' is a truncated PNG: its chunks end before IEND.");
        }
    }

    private static PixelImage ToPixelImage(Image<Rgb24> image, ImageColorMode mode)
    {
        int w = image.Width, h = image.Height;
        var rgb = GC.AllocateUninitializedArray<byte>(checked(w * h * 3));
        image.CopyPixelDataTo(rgb);
        if (mode == ImageColorMode.Rgb)
        {
            return new PixelImage(w, h, 3, rgb);
        }
        var grey = GC.AllocateUninitializedArray<byte>(w * h);
        for (int p = 0; p < grey.Length; p++)
        {
            int s = p * 3;
            // BT.601 luma in integer arithmetic, rounded; exact for grey sources (the weights sum to 1000).
            grey[p] = (byte)(((299 * rgb[s]) + (587 * rgb[s + 1]) + (114 * rgb[s + 2]) + 500) / 1000);
        }
        return new PixelImage(w, h, 1, grey);
    }

    // Everything a decoder throws on bad bytes; not out-of-memory or cancellation.
    private static bool IsDecodeFailure(Exception ex) =>
        ex is not (OutOfMemoryException or OperationCanceledException or ThreadAbortException or StackOverflowException);

    private static InvalidDataException Corrupt(string name, Exception ex) =>
        new($"Image file '{name}' is corrupt or not a supported image: {ex.Message.TrimEnd('.')}.", ex);

    private static Configuration CreateConfiguration()
    {
        var configuration = Configuration.Default.Clone();
        // Images are decoded in parallel one per worker; one image's decoder stays on its thread.
        configuration.MaxDegreeOfParallelism = 1;
        // Bound the pool ImageSharp keeps between images and refuse absurd allocations (a second line behind the header check).
        configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { MaximumPoolSizeMegabytes = 64, AllocationLimitMegabytes = 1024 });
        // Only the first frame of an animation or the first page of a TIFF is read: the limit is per frame.
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }
}
