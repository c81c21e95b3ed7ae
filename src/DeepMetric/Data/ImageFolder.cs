namespace DeepMetric.Data;

/// <summary>
/// Loads a user's own labelled images laid out as one sub-folder per class (<c>root/cat/1.png</c>,
/// <c>root/dog/a.pgm</c>, …). Class folders are sorted by ordinal name and numbered from 0; files in a folder are
/// read in ordinal name order. PNG (<see cref="PngDecoder"/>) and PGM/PPM (<see cref="PnmDecoder"/>) files are
/// decoded by DeepMetric's own code, recognised by their first bytes; files with other extensions are ignored.
/// A class folder without images still gets its label (with a count of zero). Every image is converted to grey or
/// RGB and resized to one common size (see <see cref="ImageFolderOptions"/>);
/// pixels are in [0, 1].
/// </summary>
public static class ImageFolder
{
    private static readonly string[] s_extensions = [".png", ".pgm", ".ppm", ".pnm"];

    /// <summary>The file extensions read (case-insensitive): .png, .pgm, .ppm, .pnm.</summary>
    public static IReadOnlyList<string> Extensions => s_extensions;

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

    /// <summary>Decodes one PNG, PGM or PPM file, recognised by its first bytes.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, of an unknown format, corrupt or truncated (the message names the file).</exception>
    public static DecodedImage DecodeFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        }
        byte[] data = File.ReadAllBytes(path);
        if (PngDecoder.IsPng(data))
        {
            return PngDecoder.Decode(data, path);
        }
        if (PnmDecoder.IsPnm(data))
        {
            return PnmDecoder.Decode(data, path);
        }
        throw new InvalidDataException($"Image file '{path}' is neither PNG nor PGM/PPM (P2/P3/P5/P6){(data.Length == 0 ? ": it is empty" : "")}.");
    }

    // Class folders and their image files, both in ordinal name order.
    private static (string[] ClassNames, List<(string Path, int Label)> Files) Scan(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        }
        var classDirs = Directory.GetDirectories(root);
        Array.Sort(classDirs, StringComparer.Ordinal);
        if (classDirs.Length == 0)
        {
            throw new InvalidDataException($"Image folder '{root}' has no class sub-folders (expected root/CLASS/IMAGE.png).");
        }
        var classNames = new string[classDirs.Length];
        var files = new List<(string Path, int Label)>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            classNames[c] = Path.GetFileName(classDirs[c]);
            var inClass = Directory.GetFiles(classDirs[c]);
            Array.Sort(inClass, StringComparer.Ordinal);
            foreach (string file in inClass)
            {
                if (s_extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
                {
                    files.Add((file, c));
                }
            }
        }
        if (files.Count == 0)
        {
            throw new InvalidDataException($"Image folder '{root}' holds no {string.Join("/", s_extensions)} files in its class sub-folders.");
        }
        return (classNames, files);
    }
}
