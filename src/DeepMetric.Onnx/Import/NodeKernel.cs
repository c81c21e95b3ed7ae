namespace DeepMetric.Onnx.Import;

/// <summary>One compiled node: maps its input values (null for an omitted optional input) to its outputs.</summary>
internal delegate OnnxValue[] NodeKernel(OnnxValue?[] inputs, RunContext run);
