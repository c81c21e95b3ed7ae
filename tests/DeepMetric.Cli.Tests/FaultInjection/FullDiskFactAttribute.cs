namespace DeepMetric.Cli.Tests.FaultInjection;

/// <summary>
/// A fact that needs a small full disk: it runs where this process may mount a size-limited tmpfs (Linux, as root, as
/// in CI), and is reported as skipped elsewhere.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FullDiskFactAttribute : FactAttribute
{
    public FullDiskFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Skip = "needs Linux and root (it mounts a small tmpfs to fill).";
        }
        else if (!TinyDisk.CanMount())
        {
            Skip = "this machine does not let us mount a tmpfs.";
        }
    }
}
