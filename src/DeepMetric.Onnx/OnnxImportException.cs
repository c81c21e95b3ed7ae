namespace DeepMetric.Onnx;

/// <summary>
/// An ONNX file could not be imported: it is not a readable ONNX model, or it uses an operator, attribute or
/// form that DeepMetric does not map. The message names the file, and for graph problems the node, op and attribute.
/// </summary>
public sealed class OnnxImportException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public OnnxImportException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public OnnxImportException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception without a message.</summary>
    public OnnxImportException() { }
}
