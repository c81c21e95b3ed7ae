namespace DeepMetric.Data;

/// <summary>How <see cref="CsvFeatureReader"/> reads a CSV file of feature vectors.</summary>
public sealed record CsvFeatureOptions
{
    /// <summary>
    /// Whether the first line is a header: true, false, or null (the default) to detect it — the first line is a
    /// header when one of its feature cells is not a number.
    /// </summary>
    public bool? HasHeader { get; init; }

    /// <summary>The label column by header name (ordinal, case-sensitive); takes precedence over <see cref="LabelColumnIndex"/>.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The label column by 0-based index; negative counts from the end (-1 is the last). Default 0.</summary>
    public int LabelColumnIndex { get; init; }

    /// <summary>An optional id column by header name (e.g. a file name per row); takes precedence over <see cref="IdColumnIndex"/>.</summary>
    public string? IdColumn { get; init; }

    /// <summary>An optional id column by 0-based index (negative counts from the end); null: no id column.</summary>
    public int? IdColumnIndex { get; init; }

    /// <summary>The field separator (default ','): a tab or printable ASCII other than '"' and '#'.</summary>
    public char Delimiter { get; init; } = ',';
}
