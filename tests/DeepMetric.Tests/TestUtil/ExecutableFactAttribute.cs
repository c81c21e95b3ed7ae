namespace DeepMetric.Tests.TestUtil;

/// <summary>
/// A fact that needs an executable at a fixed path (python3 for an independent decoder, /bin/sh for a stand-in
/// browser); reported as skipped, with the reason, when it is missing instead of passing without checking anything.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ExecutableFactAttribute : FactAttribute
{
    public ExecutableFactAttribute(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
        {
            Skip = $"Needs {path}, a POSIX executable; not available on Windows.";
        }
        else if (!File.Exists(path))
        {
            Skip = $"Needs {path}, which is not installed here.";
        }
    }
}
