namespace DeepMetric.Tensors.IO;

/// <summary>
/// A file is not a valid safetensors file (truncated, corrupt header, inconsistent offsets, unsupported dtype, …).
/// Derives from <see cref="IOException"/> (<see cref="InvalidDataException"/> is sealed).
/// </summary>
public sealed class SafetensorsFormatException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public SafetensorsFormatException() : base("The data is not a valid safetensors file.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public SafetensorsFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public SafetensorsFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="filePath"/>, describing <paramref name="problem"/>.</summary>
    public SafetensorsFormatException(string filePath, string problem, Exception? innerException)
        : base($"'{filePath}' is not a valid safetensors file: {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The offending file, when known.</summary>
    public string? FilePath { get; }
}
