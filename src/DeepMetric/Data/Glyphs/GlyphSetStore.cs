using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace DeepMetric.Data.Glyphs;

/// <summary>
/// Stores a <see cref="GlyphSet"/> in a directory and reads it back without FreeType: <c>train-images.npy</c> and
/// <c>test-images.npy</c> (uint8 [N, S, S], 0 paper, 255 ink), <c>train-labels.npy</c> and <c>test-labels.npy</c>
/// (int32 [N], each side's labels counted from 0) and <c>glyphs.json</c> (classes with code point and script, the
/// fonts with names, versions and SHA-256, FreeType's version, the options, and a SHA-256 of the four arrays).
/// Each array may instead be stored gzip-compressed as <c>NAME.npy.gz</c> (the shipped set is); the recorded SHA-256
/// is of the uncompressed .npy bytes either way.
/// </summary>
public static class GlyphSetStore
{
    /// <summary>The metadata file's name.</summary>
    public const string MetadataFile = "glyphs.json";

    private static readonly string[] s_arrays = ["train-images.npy", "train-labels.npy", "test-images.npy", "test-labels.npy"];

    /// <summary>The shipped demo set, relative to the repository root or the application directory.</summary>
    public const string ShippedDirectory = "data/glyphs";

    /// <summary>
    /// The shipped demo set: <see cref="ShippedDirectory"/> in the application directory, the current directory or one of
    /// their parents; null when none holds a set.
    /// </summary>
    public static string? LocateShipped()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, ShippedDirectory);
                if (Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    /// <summary>True when <paramref name="directory"/> holds a stored glyph set's metadata file.</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, MetadataFile));

    /// <summary>
    /// Writes <paramref name="set"/> into <paramref name="directory"/> atomically: everything goes to a temporary sibling
    /// directory that then takes the target's name, so readers never see half a set.
    /// </summary>
    /// <param name="set">The set.</param>
    /// <param name="directory">Target directory; created, or replaced when <paramref name="overwrite"/> is set.</param>
    /// <param name="overwrite">Replace a non-empty directory.</param>
    /// <param name="compress">Store the arrays gzip-compressed (<c>.npy.gz</c>).</param>
    /// <exception cref="IOException">The directory exists and is not empty, and <paramref name="overwrite"/> is false.</exception>
    public static void Write(GlyphSet set, string directory, bool overwrite = false, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        if (!overwrite && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new IOException($"'{target}' exists and is not empty; pass overwrite to replace it.");
        }
        if (File.Exists(target))
        {
            throw new IOException($"'{target}' is a file, not a directory.");
        }
        string parent = Path.GetDirectoryName(target) ?? throw new IOException($"'{target}' has no parent directory.");
        Directory.CreateDirectory(parent);
        string temp = string.Create(CultureInfo.InvariantCulture, $"{target}.tmp-{Environment.ProcessId}");
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }
        Directory.CreateDirectory(temp);
        try
        {
            int s = set.ImageSize;
            WriteFile(Path.Combine(temp, s_arrays[0]), compress, f => GlyphNpy.WriteBytes(f, set.Train.Images, set.Train.Count, s, s));
            WriteFile(Path.Combine(temp, s_arrays[1]), compress, f => GlyphNpy.WriteInt32(f, set.Train.Labels));
            WriteFile(Path.Combine(temp, s_arrays[2]), compress, f => GlyphNpy.WriteBytes(f, set.Test.Images, set.Test.Count, s, s));
            WriteFile(Path.Combine(temp, s_arrays[3]), compress, f => GlyphNpy.WriteInt32(f, set.Test.Labels));
            string dataSha = DataSha256(temp);
            WriteFile(Path.Combine(temp, MetadataFile), false, f => WriteMetadata(f, set, dataSha));
            if (Directory.Exists(target))
            {
                string old = target + string.Create(CultureInfo.InvariantCulture, $".old-{Environment.ProcessId}");
                Directory.Move(target, old);
                Directory.Move(temp, target);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, target);
            }
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    /// <summary>Reads a stored glyph set; checks the arrays' shapes, labels and SHA-256 against the metadata.</summary>
    /// <exception cref="FileNotFoundException">A file of the set is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or does not match the metadata.</exception>
    public static GlyphSet Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string meta = Path.Combine(directory, MetadataFile);
        if (!File.Exists(meta))
        {
            throw new FileNotFoundException($"'{directory}' holds no glyph set (no {MetadataFile}).", meta);
        }
        foreach (var name in s_arrays)
        {
            _ = ArrayPath(directory, name);
        }
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(meta));
            var root = doc.RootElement;
            int version = root.GetProperty("format_version").GetInt32();
            if (version != GlyphSet.FormatVersion)
            {
                throw new InvalidDataException($"'{meta}' has format version {version}; this reader knows {GlyphSet.FormatVersion}.");
            }
            string expectedSha = root.GetProperty("data_sha256").GetString() ?? "";
            string actualSha = DataSha256(directory);
            if (!string.Equals(expectedSha, actualSha, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"The arrays in '{directory}' do not match {MetadataFile} (SHA-256 {actualSha}, recorded {expectedSha}); re-generate the set.");
            }
            int size = root.GetProperty("image_size").GetInt32();
            var d = root.GetProperty("distortion");
            return new GlyphSet
            {
                ImageSize = size,
                Train = ReadPart(directory, root.GetProperty("train"), s_arrays[0], s_arrays[1], size),
                Test = ReadPart(directory, root.GetProperty("test"), s_arrays[2], s_arrays[3], size),
                Fonts = root.GetProperty("fonts").EnumerateArray().Select(f => new GlyphFont(
                    Str(f, "file"), Str(f, "family"), Str(f, "style"), Str(f, "version"), Str(f, "sha256"))).ToArray(),
                FreeTypeVersion = Str(root, "freetype_version"),
                Split = Enum.Parse<GlyphSplitKind>(Str(root, "split"), ignoreCase: true),
                Seed = root.GetProperty("seed").GetUInt64(),
                InstancesPerClass = root.GetProperty("instances_per_class").GetInt32(),
                MaxClassesPerScript = root.GetProperty("max_classes_per_script").GetInt32(),
                DroppedDuplicates = root.GetProperty("dropped_homoglyphs").GetInt32(),
                Distortion = new GlyphDistortion(
                    d.GetProperty("max_shift").GetDouble(), d.GetProperty("max_rotation_degrees").GetDouble(),
                    d.GetProperty("min_scale").GetDouble(), d.GetProperty("max_scale").GetDouble(), d.GetProperty("max_shear").GetDouble(),
                    d.GetProperty("min_stroke").GetDouble(), d.GetProperty("max_stroke").GetDouble(),
                    d.GetProperty("max_blur_sigma").GetDouble(), d.GetProperty("max_noise_sigma").GetDouble()),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"'{meta}' is not valid glyph set metadata: {e.Message}", e);
        }
    }

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString() ?? throw new InvalidDataException($"'{name}' is null.");

    private static GlyphSetPart ReadPart(string directory, JsonElement part, string imagesFile, string labelsFile, int size)
    {
        var (images, n, h, w) = GlyphNpy.ReadBytes(ArrayPath(directory, imagesFile), ReadArray(directory, imagesFile));
        var labels = GlyphNpy.ReadInt32(ArrayPath(directory, labelsFile), ReadArray(directory, labelsFile));
        var classes = part.GetProperty("classes").EnumerateArray().Select(c => new GlyphClass(
            int.Parse(Str(c, "code_point").AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture), Str(c, "script"), c.GetProperty("fonts").GetInt32())).ToArray();
        if (h != size || w != size)
        {
            throw new InvalidDataException($"'{imagesFile}' holds {h}×{w} images; the metadata says {size}×{size}.");
        }
        if (labels.Length != n)
        {
            throw new InvalidDataException($"'{imagesFile}' holds {n} images but '{labelsFile}' {labels.Length} labels.");
        }
        foreach (int label in labels)
        {
            if ((uint)label >= (uint)classes.Length)
            {
                throw new InvalidDataException($"'{labelsFile}' has label {label}, outside the {classes.Length} classes of the metadata.");
            }
        }
        return new GlyphSetPart(images, labels, classes);
    }

    private static void WriteFile(string path, bool compress, Action<Stream> write)
    {
        using var file = new Internal.AtomicFile(compress ? path + ".gz" : path);
        if (compress)
        {
            // Fixed level and no file name or time in the header: the same set gives the same bytes.
            using (var gzip = new GZipStream(file.Stream, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                write(gzip);
            }
        }
        else
        {
            write(file.Stream);
        }
        file.Commit();
    }

    // NAME.npy, else NAME.npy.gz.
    private static string ArrayPath(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        if (File.Exists(path))
        {
            return path;
        }
        return File.Exists(path + ".gz") ? path + ".gz"
            : throw new FileNotFoundException($"Glyph set '{directory}' lacks {name} (or {name}.gz).", path);
    }

    // The uncompressed .npy bytes of an array.
    private static byte[] ReadArray(string directory, string name)
    {
        string path = ArrayPath(directory, name);
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
        {
            return File.ReadAllBytes(path);
        }
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        try
        {
            gzip.CopyTo(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is not valid gzip: {e.Message}", e);
        }
        return buffer.ToArray();
    }

    private static string DataSha256(string directory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in s_arrays)
        {
            hash.AppendData(ReadArray(directory, name));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void WriteMetadata(Stream stream, GlyphSet set, string dataSha)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", "deepmetric-glyphs");
        w.WriteNumber("format_version", GlyphSet.FormatVersion);
        w.WriteNumber("image_size", set.ImageSize);
        w.WriteString("pixels", "uint8, 0 = paper, 255 = ink");
        w.WriteString("split", set.Split.ToString().ToLowerInvariant());
        w.WriteNumber("seed", set.Seed);
        w.WriteNumber("instances_per_class", set.InstancesPerClass);
        w.WriteNumber("max_classes_per_script", set.MaxClassesPerScript);
        w.WriteNumber("dropped_homoglyphs", set.DroppedDuplicates);
        var d = set.Distortion;
        w.WriteStartObject("distortion");
        w.WriteNumber("max_shift", d.MaxShift);
        w.WriteNumber("max_rotation_degrees", d.MaxRotationDegrees);
        w.WriteNumber("min_scale", d.MinScale);
        w.WriteNumber("max_scale", d.MaxScale);
        w.WriteNumber("max_shear", d.MaxShear);
        w.WriteNumber("min_stroke", d.MinStroke);
        w.WriteNumber("max_stroke", d.MaxStroke);
        w.WriteNumber("max_blur_sigma", d.MaxBlurSigma);
        w.WriteNumber("max_noise_sigma", d.MaxNoiseSigma);
        w.WriteEndObject();
        w.WriteString("freetype_version", set.FreeTypeVersion);
        w.WriteString("fonts_sha256", set.FontsSha256);
        w.WriteString("data_sha256", dataSha);
        w.WriteStartArray("fonts");
        foreach (var f in set.Fonts)
        {
            w.WriteStartObject();
            w.WriteString("file", f.File);
            w.WriteString("family", f.Family);
            w.WriteString("style", f.Style);
            w.WriteString("version", f.Version);
            w.WriteString("sha256", f.Sha256);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WritePart(w, "train", set.Train);
        WritePart(w, "test", set.Test);
        w.WriteEndObject();
    }

    private static void WritePart(Utf8JsonWriter w, string name, GlyphSetPart part)
    {
        w.WriteStartObject(name);
        w.WriteNumber("images", part.Count);
        w.WriteStartArray("scripts");
        foreach (var script in part.Classes.Select(c => c.Script).Distinct())
        {
            w.WriteStringValue(script);
        }
        w.WriteEndArray();
        w.WriteStartArray("classes");
        for (int c = 0; c < part.Classes.Count; c++)
        {
            var cls = part.Classes[c];
            w.WriteStartObject();
            w.WriteNumber("label", c);
            w.WriteString("code_point", string.Create(CultureInfo.InvariantCulture, $"U+{cls.CodePoint:X4}"));
            w.WriteString("char", char.ConvertFromUtf32(cls.CodePoint));
            w.WriteString("script", cls.Script);
            w.WriteNumber("fonts", cls.FontCount);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
