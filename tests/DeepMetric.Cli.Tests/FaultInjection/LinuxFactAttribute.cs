namespace DeepMetric.Cli.Tests.FaultInjection;

/// <summary>A fact that runs on Linux only (it uses /proc), reported as skipped elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only (/proc is the directory nobody can write to).";
        }
    }
}
