using System.Diagnostics;

namespace DeepMetric.Cli.Tests.FaultInjection;

/// <summary>A size-limited tmpfs mounted for one test and unmounted after it.</summary>
internal sealed class TinyDisk : IDisposable
{
    private TinyDisk(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    public static TinyDisk Mount(int kilobytes)
    {
        string dir = Directory.CreateTempSubdirectory("dm-fulldisk-").FullName;
        if (Exec("mount", "-t", "tmpfs", "-o", $"size={kilobytes}k", "tmpfs", dir) != 0)
        {
            Directory.Delete(dir);
            throw new InvalidOperationException($"could not mount a tmpfs on {dir}");
        }
        return new TinyDisk(dir);
    }

    public static bool CanMount()
    {
        try
        {
            using var disk = Mount(16);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Exec("umount", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static int Exec(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
