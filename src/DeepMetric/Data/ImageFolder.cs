using DeepMetric.Data.Images;

namespace DeepMetric.Data;

/// <summary>
/// Loads a user's own labelled images laid out as one sub-folder per class (<c>root/cat/1.png</c>,
/// <c>root/dog/a.jpg</c>, …) into memory at once. Class folders are sorted by ordinal name and numbered from 0; files
/// in a folder are read in ordinal name order; files are decoded by <see cref="ImageReader"/> (JPEG, PNG, BMP, GIF,
/// WebP, TGA, TIFF, PBM/PGM/PPM); files with other extensions are ignored; a class folder without images is an
/// error. Every image is converted to grey or RGB and resized to one common size (see
/// <see cref="ImageFolderOptions"/>); pixels are in [0, 1]. For large sets use the lazy
/// <see cref="ImageFolderDataset"/>, which decodes on demand.
/// </summary>
public static class ImageFolder
{
    /// <summary>The file extensions read (case-insensitive), those of <see cref="ImageReader.Extensions"/>.</summary>
    public static IReadOnlyList<string> Extensions => ImageReader.Extensions;

    /// <summary>Loads every image under <paramref name="root"/>'s class sub-folders.</summary>
    /// <param name="root">The folder holding one sub-folder per class.</param>
    /// <param name="options">Size, colour mode and resampling; null for the defaults (grey, size of the first image, bilinear).</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">There is no class sub-folder or no image, or a file is corrupt, truncated or unsupported (the message names the file).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A requested size is not positive.</exception>
    public static ImageDataset Load(string root, ImageFolderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        options ??= new ImageFolderOptions();
        if (options.Width is int w)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(w, "options.Width");
        }
        if (options.Height is int h)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(h, "options.Height");
        }
        var (classNames, files) = Scan(root);

        int channels = options.ColorMode == ImageColorMode.Gray ? 1 : 3;
        int width = 0, height = 0, size = 0;
        float[] pixels = [];
        var labels = new int[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            var image = DecodeFile(files[i].Path);
            if (i == 0)
            {
                width = options.Width ?? image.Width;
                height = options.Height ?? image.Height;
                size = checked(channels * width * height);
                pixels = GC.AllocateUninitializedArray<float>(checked(size * files.Count));
            }
            ImageResampler.Convert(image, options.ColorMode, width, height, options.Resize, pixels.AsSpan(i * size, size));
            labels[i] = files[i].Label;
        }
        return new ImageDataset(pixels, labels, channels, height, width, classNames);
    }

    /// <summary>
    /// The image files <see cref="Load"/> reads under <paramref name="root"/>, in the order of its rows, as paths
    /// relative to <paramref name="root"/> with '/' separators (<c>cat/1.png</c>) — ids that survive moving the folder.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">There is no class sub-folder or no image.</exception>
    public static IReadOnlyList<string> ListFiles(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var (_, files) = Scan(root);
        var paths = new string[files.Count];
        for (int i = 0; i < paths.Length; i++)
        {
            paths[i] = Path.GetRelativePath(root, files[i].Path).Replace(Path.DirectorySeparatorChar, '/');
        }
        return paths;
    }

    /// <summary>
    /// Decodes one PNG, PGM or PPM file and converts it as <see cref="Load"/> converts every image: to
    /// <paramref name="mode"/>, resized to <paramref name="width"/>×<paramref name="height"/>, planar [C, H, W] in [0, 1].
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable PNG/PGM/PPM image.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static float[] LoadImage(string path, ImageColorMode mode, int width, int height, ImageResizeMode resize = ImageResizeMode.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var image = DecodeFile(path);
        var pixels = GC.AllocateUninitializedArray<float>(checked((mode == ImageColorMode.Gray ? 1 : 3) * width * height));
        ImageResampler.Convert(image, mode, width, height, resize, pixels);
        return pixels;
    }

    /// <summary>Decodes one image file (any format <see cref="ImageReader"/> reads) to RGB, or grey when it has no colour, with samples in [0, 1].</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, of an unknown format, corrupt, truncated or too large (the message names the file).</exception>
    public static DecodedImage DecodeFile(string path)
    {
        var image = ImageReader.Read(path, ImageColorMode.Rgb);
        var rgb = image.Pixels;
        bool grey = true;
        for (int i = 0; i < rgb.Length && grey; i += 3)
        {
            grey = rgb[i] == rgb[i + 1] && rgb[i] == rgb[i + 2];
        }
        int channels = grey ? 1 : 3;
        var pixels = new float[image.Width * image.Height * channels];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = rgb[grey ? i * 3 : i] / 255f;
        }
        return new DecodedImage(image.Width, image.Height, channels, pixels);
    }

    // Class folders and their image files, both in ordinal name order.
    private static (IReadOnlyList<string> ClassNames, List<(string Path, int Label)> Files) Scan(string root)
    {
        var layout = ImageFolderLayout.Scan(root);
        var files = new List<(string Path, int Label)>(layout.Paths.Count);
        for (int i = 0; i < layout.Paths.Count; i++)
        {
            files.Add((layout.Paths[i], layout.Labels[i]));
        }
        return (layout.ClassNames, files);
    }
}
