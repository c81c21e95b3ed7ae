using System.Globalization;
using DeepMetric.Data;

namespace DeepMetric.Benchmarks.Data;

/// <summary>
/// The hand-written CSV feature reader DeepMetric had before it switched to Sep (commit 68f4780), kept here only as
/// the "before" side of <see cref="CsvQuick"/>: String.Split per line, then the same checks and messages.
/// </summary>
internal static class HandCsvFeatureReader
{
    /// <summary>Reads <paramref name="path"/> as DeepMetric's reader did before Sep.</summary>
    public static FeatureDataset Read(string path, CsvFeatureOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new CsvFeatureOptions();
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"CSV feature file '{path}' does not exist.", path);
        }
        using var reader = new StreamReader(path);
        return Read(reader, path, options);
    }

    /// <summary>Reads CSV text from <paramref name="reader"/>; <paramref name="sourceName"/> names it in error messages.</summary>
    public static FeatureDataset Read(TextReader reader, string sourceName, CsvFeatureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= new CsvFeatureOptions();
        char sep = options.Delimiter;

        string? line;
        int lineNo = 0;
        string[]? first = null;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                first = Split(line, sep);
                break;
            }
        }
        if (first is null)
        {
            throw new InvalidDataException($"CSV file '{sourceName}' is empty.");
        }
        int columns = first.Length;
        int firstLineNo = lineNo;

        // Resolve columns by index first; named columns need the header.
        int labelCol = ResolveIndex(options.LabelColumnIndex, columns, sourceName, "label");
        int idCol = options.IdColumnIndex is int idIndex ? ResolveIndex(idIndex, columns, sourceName, "id") : -1;
        bool hasHeader = options.HasHeader ?? (options.LabelColumn is not null || options.IdColumn is not null || LooksLikeHeader(first, labelCol, idCol));
        if (options.LabelColumn is not null || options.IdColumn is not null)
        {
            if (!hasHeader)
            {
                throw new InvalidDataException($"CSV file '{sourceName}': a column is selected by name but the file is read without a header.");
            }
            if (options.LabelColumn is not null)
            {
                labelCol = FindColumn(first, options.LabelColumn, sourceName);
            }
            if (options.IdColumn is not null)
            {
                idCol = FindColumn(first, options.IdColumn, sourceName);
            }
        }
        if (idCol == labelCol)
        {
            throw new InvalidDataException($"CSV file '{sourceName}': the label and id columns are the same column ({labelCol}).");
        }
        int dimension = columns - (idCol >= 0 ? 2 : 1);
        if (dimension < 1)
        {
            throw new InvalidDataException($"CSV file '{sourceName}' line {firstLineNo}: {columns} column(s) leave no feature column.");
        }

        var features = new List<float>();
        var rawLabels = new List<string>();
        var ids = idCol >= 0 ? new List<string>() : null;
        if (!hasHeader)
        {
            AddRow(first, firstLineNo);
        }
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var cells = Split(line, sep);
            if (cells.Length != columns)
            {
                throw new InvalidDataException(
                    $"CSV file '{sourceName}' line {lineNo}: {cells.Length} columns, expected {columns} as on line {firstLineNo}.");
            }
            AddRow(cells, lineNo);
        }

        if (rawLabels.Count == 0)
        {
            throw new InvalidDataException(hasHeader
                ? $"CSV file '{sourceName}' has a header (line {firstLineNo}) but no data rows."
                : $"CSV file '{sourceName}' has no data rows.");
        }
        var (labels, classNames) = LabelEncoding.Encode(rawLabels);
        return new FeatureDataset(features.ToArray(), labels, dimension, classNames, ids, takeOwnership: true);

        void AddRow(string[] cells, int at)
        {
            for (int c = 0; c < cells.Length; c++)
            {
                if (c == labelCol)
                {
                    string label = Unquote(cells[c]);
                    if (LabelEncoding.Problem(label) is string problem)
                    {
                        throw new InvalidDataException($"CSV file '{sourceName}' line {at}, column {c + 1}: {problem}.");
                    }
                    rawLabels.Add(label);
                }
                else if (c == idCol)
                {
                    ids!.Add(Unquote(cells[c]));
                }
                else if (float.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v))
                {
                    features.Add(v);
                }
                else
                {
                    throw new InvalidDataException(
                        $"CSV file '{sourceName}' line {at}, column {c + 1}: '{cells[c]}' is not a finite number.");
                }
            }
        }
    }

    private static string[] Split(string line, char sep)
    {
        var cells = line.Split(sep);
        for (int i = 0; i < cells.Length; i++)
        {
            cells[i] = cells[i].Trim();
        }
        return cells;
    }

    private static string Unquote(string cell) =>
        cell.Length >= 2 && cell[0] == '"' && cell[^1] == '"' ? cell[1..^1] : cell;

    private static bool LooksLikeHeader(string[] cells, int labelCol, int idCol)
    {
        for (int c = 0; c < cells.Length; c++)
        {
            if (c != labelCol && c != idCol && !float.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return true;
            }
        }
        return false;
    }

    private static int ResolveIndex(int index, int columns, string sourceName, string what)
    {
        int resolved = index < 0 ? columns + index : index;
        if ((uint)resolved >= (uint)columns)
        {
            throw new InvalidDataException($"CSV file '{sourceName}': {what} column index {index} is outside the {columns} columns.");
        }
        return resolved;
    }

    private static int FindColumn(string[] header, string name, string sourceName)
    {
        for (int c = 0; c < header.Length; c++)
        {
            if (string.Equals(Unquote(header[c]), name, StringComparison.Ordinal))
            {
                return c;
            }
        }
        throw new InvalidDataException($"CSV file '{sourceName}': no column named '{name}' in the header ({string.Join(", ", header)}).");
    }
}
