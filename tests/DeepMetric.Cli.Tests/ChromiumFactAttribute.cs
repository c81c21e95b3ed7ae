namespace DeepMetric.Cli.Tests;

/// <summary>A fact that runs only when Chromium is installed at /usr/bin/chromium, and is reported as skipped otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    internal const string Executable = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Executable))
        {
            Skip = $"Chromium is not installed at {Executable} (apt-get install -y chromium): the in-browser check of the report is skipped.";
        }
    }
}
