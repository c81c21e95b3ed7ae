using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DeepMetric.Search;

namespace DeepMetric.Cli.Commands;

/// <summary><c>deepmetric index</c>: builds a flat (exact) or HNSW (approximate) index from an embedding store.</summary>
internal static class IndexCommand
{
    internal const string Flat = "flat";
    internal const string Hnsw = "hnsw";

    internal static Command Create(CliContext context)
    {
        var store = new Option<FileInfo>("--store") { Description = "Embedding store written by 'embed'", HelpName = "file", Required = true };
        var kind = new Option<string>("--kind") { Description = "'flat' (exact search) or 'hnsw' (approximate graph search)", DefaultValueFactory = _ => Hnsw, HelpName = "name" };
        kind.AcceptOnlyFromAmong(Flat, Hnsw);
        var defaults = new HnswOptions();
        var m = new Option<int>("--m") { Description = "HNSW links per node", DefaultValueFactory = _ => defaults.M, HelpName = "n" };
        var efConstruction = new Option<int>("--ef-construction") { Description = "HNSW candidate list size while building", DefaultValueFactory = _ => defaults.EfConstruction, HelpName = "n" };
        var efSearch = new Option<int>("--ef-search") { Description = "HNSW candidate list size while searching (saved with the index)", DefaultValueFactory = _ => defaults.EfSearch, HelpName = "n" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the HNSW level generator", DefaultValueFactory = _ => defaults.Seed, HelpName = "n" };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Index file to write", HelpName = "file", Required = true };

        var command = new Command("index", "Build a flat or HNSW index from an embedding store.") { store, kind, m, efConstruction, efSearch, seed, output };
        command.SetAction(parseResult =>
        {
            int mValue = parseResult.GetValue(m);
            int efc = parseResult.GetValue(efConstruction);
            int efs = parseResult.GetValue(efSearch);
            if (mValue is < 2 or > 1024)
            {
                throw new UsageException($"--m must be in [2, 1024], got {mValue}.");
            }
            if (efc < 1 || efs < 1)
            {
                throw new UsageException($"--ef-construction and --ef-search must be positive, got {efc} and {efs}.");
            }
            var options = new HnswOptions(mValue, efc, efs, parseResult.GetValue(seed));
            return Run(context, parseResult.GetValue(store)!.FullName, parseResult.GetValue(kind) ?? Hnsw, options, parseResult.GetValue(output)!.FullName);
        });
        return command;
    }

    private static int Run(CliContext context, string storePath, string kind, HnswOptions options, string outputPath)
    {
        long t0 = Stopwatch.GetTimestamp();
        using var store = EmbeddingStore.Open(storePath, verifyChecksum: true);
        IVectorIndex index;
        using (var progress = ProgressLine.Start(context, $"index: {kind} build", store.Count))
        {
            index = VectorIndexes.Build(kind == Flat ? VectorIndexKind.Flat : VectorIndexKind.Hnsw, store, options, progress);
        }
        double buildSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        if (index is FlatIndex flat)
        {
            flat.Save(outputPath, store.Metadata.Model);
        }
        else
        {
            index.Save(outputPath);
        }
        string parameters = kind == Flat ? "" : string.Create(CultureInfo.InvariantCulture, $", M {options.M}, efConstruction {options.EfConstruction}, efSearch {options.EfSearch}");
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{outputPath}: {kind} index of {index.Count:N0} × {index.Dimension} vectors ({index.Metric}{parameters}) built in {buildSeconds:F2} s"));
        return CliApp.Success;
    }
}
