using System.Globalization;
using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace DeepMetric.Data.Glyphs;

/// <summary>
/// Renders a glyph benchmark through FreeType from the font files on this machine. Each class is a character that
/// at least one font maps to a real glyph (index != 0) and renders with ink; each instance picks one of those fonts
/// (a seeded per-class order, cycling) and seeded distortions (<see cref="GlyphDistortion"/>). The output is a pure
/// function of the options, the font files and the FreeType version.
/// </summary>
/// <remarks>
/// In the spirit of Omniglot (Lake, Salakhutdinov and Tenenbaum, "Human-level concept learning through probabilistic
/// program induction", Science 2015): many small classes from many alphabets, with unseen alphabets to test on.
/// </remarks>
public static class GlyphSetGenerator
{
    // Fonts averaged for a class's prototype (duplicate detection).
    private const int PrototypeFonts = 6;
    private const int PrototypeSize = 14;

    /// <summary>True when FreeType (libfreetype.so.6) can be loaded.</summary>
    public static bool IsFreeTypeAvailable => FreeTypeLibrary.IsAvailable;

    /// <summary>The font files (.ttf, .otf) under <paramref name="directories"/>, sorted by file name; missing directories are skipped.</summary>
    public static IReadOnlyList<string> FindFontFiles(IEnumerable<string> directories)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in directories)
        {
            if (!Directory.Exists(dir))
            {
                continue;
            }
            foreach (var path in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                string ext = Path.GetExtension(path).ToUpperInvariant();
                if (ext is ".TTF" or ".OTF")
                {
                    // The first directory wins when two hold the same file name.
                    files.TryAdd(Path.GetFileName(path), path);
                }
            }
        }
        return [.. files.Values];
    }

    /// <summary>Renders a glyph set.</summary>
    /// <exception cref="DllNotFoundException">FreeType is not installed.</exception>
    /// <exception cref="InvalidDataException">No usable font, or too few classes for a training and a test side.</exception>
    public static GlyphSet Generate(GlyphSetOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var scripts = SelectScripts(options.Scripts);
        using var library = FreeTypeLibrary.Create();
        var paths = FindFontFiles(options.FontDirectories);
        var faces = new List<FontFace>();
        var fonts = new List<GlyphFont>();
        try
        {
            foreach (var path in paths)
            {
                byte[] bytes = File.ReadAllBytes(path);
                var face = library.TryOpen(bytes, Path.GetFileName(path));
                if (face is null)
                {
                    continue;
                }
                faces.Add(face);
                fonts.Add(new GlyphFont(face.Name, face.Family, face.Style, SfntNames.Read(bytes, SfntNames.VersionId) ?? "", Convert.ToHexStringLower(SHA256.HashData(bytes))));
            }
            if (faces.Count == 0)
            {
                throw new InvalidDataException($"No font FreeType can read under {string.Join(", ", options.FontDirectories)} (Debian: apt install fonts-noto-core fonts-dejavu-core).");
            }
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{faces.Count} fonts, FreeType {library.Version}"));
            return Render(options, scripts, faces, fonts, library.Version, progress);
        }
        finally
        {
            foreach (var face in faces)
            {
                face.Dispose();
            }
        }
    }

    private static List<GlyphScript> SelectScripts(IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return [.. GlyphScripts.All];
        }
        var chosen = new List<GlyphScript>();
        foreach (var name in names)
        {
            var script = GlyphScripts.All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"Unknown script '{name}'; known: {string.Join(", ", GlyphScripts.All.Select(s => s.Name))}.", nameof(names));
            if (!chosen.Contains(script))
            {
                chosen.Add(script);
            }
        }
        // Generation order is the table's, whatever order the names came in.
        return [.. GlyphScripts.All.Where(chosen.Contains)];
    }

    private sealed record Candidate(int CodePoint, GlyphScript Script, int[] Fonts);

    private static GlyphSet Render(GlyphSetOptions o, List<GlyphScript> scripts, List<FontFace> faces, List<GlyphFont> fonts, string freeTypeVersion, IProgress<string>? progress)
    {
        int size = o.ImageSize, pixelSize = GlyphRasterizer.PixelSize(size);
        var kept = new List<Candidate>();
        var prototypes = new List<float[]>();
        int dropped = 0;
        foreach (var script in scripts)
        {
            var codePoints = CandidateCodePoints(script);
            var rng = SplitMix64.Keyed(o.Seed, StableHash(script.Name), 0x5C819);
            rng.Shuffle(codePoints.AsSpan());
            int taken = 0;
            foreach (int cp in codePoints)
            {
                if (taken == o.MaxClassesPerScript)
                {
                    break;
                }
                var usable = new List<int>();
                var renders = new List<GlyphBitmap>();
                for (int f = 0; f < faces.Count; f++)
                {
                    if (faces[f].HasGlyph(cp) && faces[f].Render(cp, pixelSize) is { } bitmap)
                    {
                        usable.Add(f);
                        renders.Add(bitmap);
                    }
                }
                if (usable.Count == 0)
                {
                    continue;
                }
                var prototype = Prototype(renders, size);
                if (prototype is null || IsDuplicate(prototype, prototypes, o.DuplicateThreshold))
                {
                    dropped++;
                    continue;
                }
                prototypes.Add(prototype);
                kept.Add(new Candidate(cp, script, [.. usable]));
                taken++;
            }
        }
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{kept.Count} classes from {kept.Select(c => c.Script).Distinct().Count()} scripts ({dropped} homoglyphs dropped)"));

        var testSide = AssignSides(kept, o);
        var trainClasses = kept.Where((c, i) => !testSide[i]).OrderBy(c => scripts.IndexOf(c.Script)).ThenBy(c => c.CodePoint).ToList();
        var testClasses = kept.Where((c, i) => testSide[i]).OrderBy(c => scripts.IndexOf(c.Script)).ThenBy(c => c.CodePoint).ToList();
        if (trainClasses.Count < 2 || testClasses.Count < 2)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"The fonts give {kept.Count} classes ({trainClasses.Count} train, {testClasses.Count} test); at least 2 a side are needed (more scripts or fonts)."));
        }
        var usedFonts = kept.SelectMany(c => c.Fonts).Distinct().Order().ToList();
        var train = RenderPart(trainClasses, faces, o);
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"train: {train.Classes.Count} classes, {train.Count} images"));
        var test = RenderPart(testClasses, faces, o);
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"test: {test.Classes.Count} classes, {test.Count} images"));
        return new GlyphSet
        {
            ImageSize = size,
            Train = train,
            Test = test,
            Fonts = usedFonts.Select(f => fonts[f]).ToArray(),
            FreeTypeVersion = freeTypeVersion,
            Split = o.Split,
            Seed = o.Seed,
            InstancesPerClass = o.InstancesPerClass,
            MaxClassesPerScript = o.MaxClassesPerScript,
            Distortion = o.Distortion,
            DroppedDuplicates = dropped,
        };
    }

    private static int[] CandidateCodePoints(GlyphScript script)
    {
        var list = new List<int>();
        foreach (var (first, last) in script.Ranges)
        {
            for (int cp = first; cp <= last; cp++)
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(cp);
                if (category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber)
                {
                    list.Add(cp);
                }
            }
        }
        return [.. list];
    }

    // Mean undistorted rendering over the first few fonts, down-sampled, centred and L2-normalised.
    private static float[]? Prototype(List<GlyphBitmap> renders, int size)
    {
        var sum = new float[PrototypeSize * PrototypeSize];
        var image = new byte[size * size];
        var none = default(SplitMix64);
        var clean = new GlyphInstance(0, 0, 0, 1, 0, 0, 0, 0);
        int used = Math.Min(renders.Count, PrototypeFonts);
        int factor = size / PrototypeSize;
        for (int r = 0; r < used; r++)
        {
            GlyphRasterizer.Render(renders[r], size, clean, ref none, image);
            for (int y = 0; y < PrototypeSize * factor; y++)
            {
                for (int x = 0; x < PrototypeSize * factor; x++)
                {
                    sum[((y / factor) * PrototypeSize) + (x / factor)] += image[(y * size) + x];
                }
            }
        }
        float mean = TensorPrimitives.Sum<float>(sum) / sum.Length;
        TensorPrimitives.Subtract(sum, mean, sum);
        float norm = TensorPrimitives.Norm<float>(sum);
        if (norm <= 0)
        {
            return null;
        }
        TensorPrimitives.Divide(sum, norm, sum);
        return sum;
    }

    private static bool IsDuplicate(float[] prototype, List<float[]> kept, double threshold)
    {
        foreach (var other in kept)
        {
            if (TensorPrimitives.Dot<float>(prototype, other) > threshold)
            {
                return true;
            }
        }
        return false;
    }

    private static bool[] AssignSides(List<Candidate> kept, GlyphSetOptions o)
    {
        var test = new bool[kept.Count];
        if (o.Split == GlyphSplitKind.Character)
        {
            foreach (var group in kept.Select((c, i) => (c, i)).GroupBy(t => t.c.Script))
            {
                var members = group.Select(t => t.i).ToArray();
                var rng = SplitMix64.Keyed(o.Seed, StableHash(group.Key.Name), 0x5B117);
                rng.Shuffle(members.AsSpan());
                for (int j = 0; j < members.Length; j++)
                {
                    test[members[j]] = j % 2 == 1;
                }
            }
            return test;
        }
        // Largest scripts first, each to the side with fewer classes so far (ties to training).
        var sizes = kept.GroupBy(c => c.Script).Select(g => (Script: g.Key, Count: g.Count()))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Script.Name, StringComparer.Ordinal).ToList();
        int trainCount = 0, testCount = 0;
        var testScripts = new HashSet<GlyphScript>();
        foreach (var (script, count) in sizes)
        {
            if (testCount < trainCount)
            {
                testScripts.Add(script);
                testCount += count;
            }
            else
            {
                trainCount += count;
            }
        }
        for (int i = 0; i < kept.Count; i++)
        {
            test[i] = testScripts.Contains(kept[i].Script);
        }
        return test;
    }

    private static GlyphSetPart RenderPart(List<Candidate> classes, List<FontFace> faces, GlyphSetOptions o)
    {
        int size = o.ImageSize, n = o.InstancesPerClass, pixelSize = GlyphRasterizer.PixelSize(size);
        var images = new byte[(long)classes.Count * n * size * size];
        var labels = new int[classes.Count * n];
        var infos = new GlyphClass[classes.Count];
        for (int c = 0; c < classes.Count; c++)
        {
            var cls = classes[c];
            infos[c] = new GlyphClass(cls.CodePoint, cls.Script.Name, cls.Fonts.Length);
            var order = cls.Fonts.ToArray();
            var fontRng = SplitMix64.Keyed(o.Seed, (ulong)cls.CodePoint, 0xF0275);
            fontRng.Shuffle(order.AsSpan());
            var cache = new Dictionary<int, GlyphBitmap>();
            for (int i = 0; i < n; i++)
            {
                int font = order[i % order.Length];
                if (!cache.TryGetValue(font, out var bitmap))
                {
                    bitmap = faces[font].Render(cls.CodePoint, pixelSize)!;
                    cache[font] = bitmap;
                }
                var rng = SplitMix64.Keyed(o.Seed, (ulong)cls.CodePoint, (ulong)i + 1);
                var instance = o.Distortion.Draw(ref rng);
                int row = (c * n) + i;
                GlyphRasterizer.Render(bitmap, size, instance, ref rng, images.AsSpan(row * size * size, size * size));
                labels[row] = c;
            }
        }
        return new GlyphSetPart(images, labels, infos);
    }

    // FNV-1a: a hash of a name that does not change between runs (string.GetHashCode does).
    private static ulong StableHash(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char ch in text)
        {
            h = (h ^ ch) * 0x100000001B3UL;
        }
        return h;
    }
}
