namespace DeepMetric.Tensors.IO;

/// <summary>The contents of a safetensors file: tensors by name (sorted by name) and the string metadata.</summary>
/// <param name="Tensors">The tensors, converted to float32, in ordinal name order.</param>
/// <param name="Metadata">The <c>__metadata__</c> entries (empty when the file has none).</param>
public sealed record SafetensorsData(IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata);
