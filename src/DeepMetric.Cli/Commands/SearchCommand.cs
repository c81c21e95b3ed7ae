using System.CommandLine;
using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Search;
using DeepMetric.Tensors;
using DeepMetric.Training;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric search</c>: the k nearest neighbours in an index of one stored item (<c>--id</c>) or of every item of a
/// query store (<c>--store</c>), or of an image file (<c>--image</c>, embedded by <c>--weights</c>), as a table (rank, id, label, distance) or JSON lines.
/// </summary>
internal static class SearchCommand
{
    internal static Command Create(CliContext context)
    {
        var index = new Option<FileInfo>("--index") { Description = "Index written by 'index' (flat or HNSW)", HelpName = "file", Required = true };
        var id = new Option<string?>("--id") { Description = "Query by the id or row number of a stored item (looked up in --store, else in a flat index file; 'deepmetric store FILE' lists them)", HelpName = "id" };
        var store = new Option<FileInfo?>("--store") { Description = "Query store: every row is a query, or the store --id is looked up in", HelpName = "file" };
        var k = new Option<int>("--k", "-k") { Description = "Neighbours per query", DefaultValueFactory = _ => 10, HelpName = "n" };
        var efSearch = new Option<int?>("--ef-search") { Description = "HNSW candidate list size (default: the one saved with the index)", HelpName = "n" };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per query instead of tables" };
        var image = new Option<FileInfo?>("--image") { Description = "Query by an image file (JPEG, PNG, BMP, GIF, WebP, TGA, TIFF, PGM/PPM), fitted to the model's input as image folders are read, and embedded with --weights", HelpName = "file" };
        var weights = new Option<FileInfo?>("--weights") { Description = "With --image: the model that embedded the index (model.safetensors of a 'train --run-dir' run)", HelpName = "file" };

        var resizeRatio = DataSourceOptions.ResizeRatioOption();
        var normalize = DataSourceOptions.NormalizeOption();

        var command = new Command("search", "Print the k nearest neighbours of stored items or of an image in an index.") { index, id, store, k, efSearch, json, image, weights, resizeRatio, normalize };
        command.SetAction(parseResult => parseResult.GetValue(image) is { } imageFile
            ? RunImage(context, parseResult.GetValue(index)!.FullName, imageFile.FullName, parseResult.GetValue(weights)?.FullName,
                parseResult.GetResult(id) is not null || parseResult.GetResult(store) is not null, parseResult.GetValue(k), parseResult.GetValue(efSearch), parseResult.GetValue(json),
                parseResult.GetValue(resizeRatio), parseResult.GetValue(normalize))
            : Run(context,
            parseResult.GetValue(index)!.FullName,
            parseResult.GetValue(id),
            parseResult.GetValue(store)?.FullName,
            parseResult.GetValue(k),
            parseResult.GetValue(efSearch),
            parseResult.GetValue(json)));
        return command;
    }

    private static int Run(CliContext context, string indexPath, string? id, string? storePath, int k, int? efSearch, bool json)
    {
        if (k <= 0)
        {
            throw new UsageException($"--k must be positive, got {k}.");
        }
        if (efSearch is <= 0)
        {
            throw new UsageException($"--ef-search must be positive, got {efSearch}.");
        }
        if (id is null && storePath is null)
        {
            throw new UsageException("Give the query: --id ID (a stored item) or --store QUERIES (every row of a store).");
        }
        var index = VectorIndexes.Load(indexPath);
        if (index is HnswIndex hnsw && efSearch is int ef)
        {
            hnsw.EfSearch = ef;
        }
        if (id is null && storePath is not null && Path.GetFullPath(storePath) == Path.GetFullPath(indexPath))
        {
            throw new UsageException("--store is the index file itself; give --id to query one of its items.");
        }
        string lookupPath = storePath ?? (index is FlatIndex ? indexPath
            : throw new UsageException("--id needs --store (the embedding store holding that id) with an HNSW index."));
        // Verified: a damaged store would otherwise answer with neighbours at distance NaN or infinity.
        using var queries = EmbeddingStore.Open(lookupPath, verifyChecksum: true);
        if (queries.Dimension != index.Dimension)
        {
            throw new InvalidDataException($"The query store '{lookupPath}' has dimension {queries.Dimension} but the index has {index.Dimension}.");
        }

        int[] rows;
        if (id is not null)
        {
            int row = Array.IndexOf(queries.GetIds(), id);
            if (row < 0 && int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number < queries.Count)
            {
                row = number;   // not an id: a row number, as 'deepmetric store' lists them
            }
            if (row < 0)
            {
                throw new UsageException($"--id '{id}' is neither an id nor a row number (0-{queries.Count - 1}) of '{lookupPath}'; 'deepmetric store {lookupPath}' lists them.");
            }
            rows = [row];
        }
        else
        {
            rows = new int[queries.Count];
            for (int i = 0; i < rows.Length; i++)
            {
                rows[i] = i;
            }
        }

        foreach (int row in rows)
        {
            var hits = index.Search(queries.GetVector(row), k);
            string queryId = queries.GetId(row);
            int queryLabel = queries.GetLabel(row);
            if (json)
            {
                context.Output.WriteLine(Json(queryId, queryLabel, hits));
            }
            else
            {
                context.Console.Write(Table(queryId, queryLabel, hits));
            }
        }
        return CliApp.Success;
    }

    private static int RunImage(CliContext context, string indexPath, string imagePath, string? weightsPath, bool otherQuery, int k, int? efSearch, bool json, double? resizeRatio, string? normalize)
    {
        if (otherQuery)
        {
            throw new UsageException("Give one query: --image FILE, --id ID or --store QUERIES.");
        }
        if (weightsPath is null)
        {
            throw new UsageException("--image needs --weights (the model that embedded the index).");
        }
        if (k <= 0)
        {
            throw new UsageException($"--k must be positive, got {k}.");
        }
        if (efSearch is <= 0)
        {
            throw new UsageException($"--ef-search must be positive, got {efSearch}.");
        }
        var loaded = ModelLoader.Load(weightsPath);
        var index = VectorIndexes.Load(indexPath);
        if (index is HnswIndex hnsw && efSearch is int ef)
        {
            hnsw.EfSearch = ef;
        }
        var color = loaded.InputChannels == 3 ? ImageColorMode.Rgb : ImageColorMode.Gray;
        if (loaded.InputChannels is not 1 and not 3 || loaded.InputHeight < 2)
        {
            throw new UsageException($"The model '{loaded.WeightsPath}' takes {loaded.InputChannels}×{loaded.InputHeight}×{loaded.InputWidth} inputs, not images.");
        }
        // The evaluation read of an image folder: the fit the model was trained with, unless the options override it.
        var saved = ImagePreprocessing.Of(loaded);
        var preprocessing = new ImagePreprocessing(ImagePreprocessing.CheckRatio(resizeRatio ?? saved.ResizeRatio), normalize ?? saved.Normalize);
        var transform = preprocessing.Evaluation(loaded.InputWidth, loaded.InputHeight, loaded.InputChannels);
        var pixels = new float[loaded.InputChannels * loaded.InputHeight * loaded.InputWidth];
        transform.Apply(ImageReader.Read(imagePath, color), pixels, new Tensors.Random.Prng(0));
        var embedding = loaded.Model.Embed(Tensor.FromArray(pixels, 1, loaded.InputChannels, loaded.InputHeight, loaded.InputWidth));
        if (embedding.Dim(1) != index.Dimension)
        {
            throw new InvalidDataException($"The model '{loaded.WeightsPath}' embeds into {embedding.Dim(1)} dimensions but the index has {index.Dimension}.");
        }
        var hits = index.Search(embedding.ReadOnlySpan, k);
        string queryId = Path.GetFileName(imagePath);
        if (json)
        {
            context.Output.WriteLine(Json(queryId, -1, hits));
        }
        else
        {
            context.Console.Write(Table(queryId, -1, hits));
        }
        return CliApp.Success;
    }

    private static Table Table(string queryId, int queryLabel, VectorHit[] hits)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"query {queryId} (label {queryLabel})")));
        table.AddColumn(new TableColumn("rank").RightAligned());
        table.AddColumn("id");
        table.AddColumn(new TableColumn("label").RightAligned());
        table.AddColumn(new TableColumn("distance").RightAligned());
        for (int i = 0; i < hits.Length; i++)
        {
            table.AddRow(
                (i + 1).ToString(CultureInfo.InvariantCulture),
                Markup.Escape(hits[i].Id),
                hits[i].Label.ToString(CultureInfo.InvariantCulture),
                hits[i].Distance.ToString("F6", CultureInfo.InvariantCulture));
        }
        return table;
    }

    private static string Json(string queryId, int queryLabel, VectorHit[] hits) =>
        CliJson.Object(w =>
        {
            w.WriteString("query", queryId);
            w.WriteNumber("label", queryLabel);
            w.WriteStartArray("neighbors");
            for (int i = 0; i < hits.Length; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("rank", i + 1);
                w.WriteString("id", hits[i].Id);
                w.WriteNumber("label", hits[i].Label);
                if (float.IsFinite(hits[i].Distance))
                {
                    w.WriteNumber("distance", hits[i].Distance);
                }
                else
                {
                    w.WriteNull("distance");   // JSON has no infinity; null rather than an exception mid-output
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
}
