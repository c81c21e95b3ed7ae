namespace DeepMetric.Cli;

/// <summary>
/// Thrown by a command's action for an argument the parser accepted but the command cannot use; reported as one
/// line on standard error with exit code <see cref="CliApp.UsageError"/>.
/// </summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
