using System.CommandLine;
using System.Globalization;
using DeepMetric.Data.Glyphs;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric data glyphs --output DIR</c>: renders the glyph benchmark through FreeType from the system's fonts
/// and stores it (<see cref="GlyphSetStore"/>).
/// </summary>
internal static class GlyphsDataCommand
{
    internal static Command Create(CliContext context)
    {
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Directory to write the set into (created; must be absent or empty unless --overwrite)", Required = true, HelpName = "dir" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing directory" };
        var gzip = new Option<bool>("--gzip") { Description = "Store the arrays gzip-compressed (.npy.gz; the recorded SHA-256 is of the uncompressed arrays)" };
        var fonts = new Option<string[]>("--fonts")
        {
            Description = $"Font directory, searched recursively for .ttf/.otf (repeatable; default: {string.Join(" and ", GlyphSetOptions.DebianFontDirectories)})",
            HelpName = "dir",
            AllowMultipleArgumentsPerToken = false,
        };
        var size = new Option<int>("--size") { Description = "Image side: 28 or 32", DefaultValueFactory = _ => 28, HelpName = "px" };
        size.AcceptOnlyFromAmong("28", "32");
        var instances = new Option<int>("--instances") { Description = "Images per class", DefaultValueFactory = _ => 12, HelpName = "n" };
        var perScript = new Option<int>("--max-per-script") { Description = "Most classes per script (a seeded sample)", DefaultValueFactory = _ => 40, HelpName = "n" };
        var scripts = new Option<string?>("--scripts") { Description = "Comma-separated script names (default: all; see GlyphScripts)", HelpName = "names" };
        var split = new Option<string>("--split")
        {
            Description = "Train/test division of the classes: 'script' (whole scripts; test scripts never seen) or 'character' (disjoint characters within each script)",
            DefaultValueFactory = _ => "script",
            HelpName = "kind",
        };
        split.AcceptOnlyFromAmong("script", "character");
        var seed = new Option<ulong>("--seed") { Description = "Seed of the class sample, font order and distortions", DefaultValueFactory = _ => 0UL, HelpName = "n" };

        var command = new Command("glyphs", "Render the glyph benchmark (characters of many scripts from the system's fonts, through FreeType) into a directory: .npy arrays + glyphs.json")
        {
            output, overwrite, gzip, fonts, size, instances, perScript, scripts, split, seed,
        };
        command.SetAction(parseResult =>
        {
            var fontDirs = parseResult.GetValue(fonts);
            var options = new GlyphSetOptions
            {
                FontDirectories = fontDirs is { Length: > 0 } ? fontDirs.Select(Path.GetFullPath).ToArray() : GlyphSetOptions.DebianFontDirectories,
                ImageSize = parseResult.GetValue(size),
                InstancesPerClass = parseResult.GetValue(instances),
                MaxClassesPerScript = parseResult.GetValue(perScript),
                Scripts = parseResult.GetValue(scripts)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Split = parseResult.GetValue(split) == "character" ? GlyphSplitKind.Character : GlyphSplitKind.Script,
                Seed = parseResult.GetValue(seed),
            };
            if (options.InstancesPerClass < 2)
            {
                throw new UsageException($"--instances must be at least 2, got {options.InstancesPerClass}.");
            }
            if (options.MaxClassesPerScript < 1)
            {
                throw new UsageException($"--max-per-script must be positive, got {options.MaxClassesPerScript}.");
            }
            string target = parseResult.GetValue(output)!.FullName;
            bool replace = parseResult.GetValue(overwrite);
            if (!replace && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            {
                throw new UsageException($"--output {target} exists and is not empty; pass --overwrite to replace it.");
            }
            if (!GlyphSetGenerator.IsFreeTypeAvailable)
            {
                throw new UsageException("FreeType (libfreetype.so.6) is not installed; on Debian: apt install libfreetype6 fonts-noto-core fonts-dejavu-core.");
            }
            var set = GlyphSetGenerator.Generate(options, new Progress(context.Error));
            GlyphSetStore.Write(set, target, replace, parseResult.GetValue(gzip));
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {target}: train {set.Train.Classes.Count} classes / {set.Train.Count} images, test {set.Test.Classes.Count} classes / {set.Test.Count} images, {set.ImageSize}×{set.ImageSize}, split by {options.Split.ToString().ToLowerInvariant()}, {set.Fonts.Count} fonts (sha256 {set.FontsSha256[..12]}), FreeType {set.FreeTypeVersion}"));
            return CliApp.Success;
        });
        return command;
    }

    // Progress goes to stderr so stdout stays the one result line. Synchronous: System.Progress would post to the thread pool.
    private sealed class Progress(TextWriter error) : IProgress<string>
    {
        public void Report(string value) => error.WriteLine($"glyphs: {value}");
    }
}
