namespace DeepMetric.Data.Images;

/// <summary>
/// The files of a class-folder tree (<c>root/CLASS/IMAGE</c>): class folders in ordinal name order numbered from 0,
/// files in each in ordinal name order, only those with an image extension (<see cref="ImageReader.Extensions"/>).
/// </summary>
/// <param name="Root">The full path of the root folder.</param>
/// <param name="ClassNames">Class folder names, indexed by label.</param>
/// <param name="Paths">Full paths of the image files.</param>
/// <param name="Labels">Label of each file.</param>
public sealed record ImageFolderLayout(string Root, IReadOnlyList<string> ClassNames, IReadOnlyList<string> Paths, IReadOnlyList<int> Labels)
{
    /// <summary>Scans <paramref name="root"/>.</summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">There is no class folder, or a class folder holds no image file (the message names it).</exception>
    public static ImageFolderLayout Scan(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        }
        var classDirs = Directory.GetDirectories(root);
        Array.Sort(classDirs, StringComparer.Ordinal);
        if (classDirs.Length == 0)
        {
            throw new InvalidDataException($"Image folder '{root}' has no class sub-folders (expected {root}{Path.DirectorySeparatorChar}CLASS{Path.DirectorySeparatorChar}IMAGE.jpg).");
        }
        var names = new string[classDirs.Length];
        var paths = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            names[c] = Path.GetFileName(classDirs[c]);
            var files = Directory.GetFiles(classDirs[c]).Where(ImageReader.HasImageExtension).ToArray();
            if (files.Length == 0)
            {
                throw new InvalidDataException($"Class folder '{classDirs[c]}' holds no image files ({string.Join(" ", ImageReader.Extensions)}); remove it or add images.");
            }
            Array.Sort(files, StringComparer.Ordinal);
            paths.AddRange(files);
            labels.AddRange(Enumerable.Repeat(c, files.Length));
        }
        return new ImageFolderLayout(root, names, paths, labels);
    }

    /// <summary>The file paths relative to <see cref="Root"/> with '/' separators (<c>cat/1.jpg</c>): ids that survive moving the folder.</summary>
    public IReadOnlyList<string> RelativePaths() =>
        Paths.Select(p => Path.GetRelativePath(Root, p).Replace(Path.DirectorySeparatorChar, '/')).ToArray();
}
