namespace DeepMetric.Onnx.Export;

/// <summary>What an exported ONNX file declares besides the network: its input and its metadata.</summary>
/// <param name="Channels">Input channels C of the [batch, C, H, W] input.</param>
/// <param name="Height">Input height H.</param>
/// <param name="Width">Input width W.</param>
public sealed record OnnxExportOptions(int Channels, int Height, int Width)
{
    /// <summary>Name of the graph input.</summary>
    public string InputName { get; init; } = "input";

    /// <summary>Name of the graph output.</summary>
    public string OutputName { get; init; } = "embedding";

    /// <summary>Entries written to the model's metadata_props (embedding size, distance, preprocessing, …).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Replace an existing file at the output path (false: an existing file is an error).</summary>
    public bool Overwrite { get; init; }
}
