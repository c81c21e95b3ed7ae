using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace DeepMetric.Cli.Tests.FaultInjection;

/// <summary>The CLI as a separate process (the DeepMetric.Cli.dll beside the tests), so a test can SIGKILL it mid-write.</summary>
internal static class CliProcess
{
    // What each started process wrote to stderr, so a failed exit-code assertion can say why.
    private static readonly ConditionalWeakTable<Process, StringBuilder> s_errors = [];

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo(Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DeepMetric.Cli.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the CLI");
        // Drain the pipes so the child never blocks on a full pipe; keep stderr for the assertion messages.
        var errors = s_errors.GetValue(process, _ => new StringBuilder());
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>What <paramref name="process"/> (started by <see cref="Start"/>) wrote to stderr; complete once it has been waited for.</summary>
    public static string ErrorOutput(Process process)
    {
        var errors = s_errors.GetValue(process, _ => new StringBuilder());
        lock (errors)
        {
            return errors.ToString();
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds (polling every few milliseconds), then kills the process with SIGKILL.</summary>
    /// <returns>Whether the condition was met before the process ended or the timeout passed.</returns>
    public static bool KillWhen(Process process, Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        bool met = false;
        while (clock.Elapsed < timeout && !process.HasExited)
        {
            if (condition())
            {
                met = true;
                break;
            }
            Thread.Sleep(2);
        }
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);   // SIGKILL on Unix: no finally blocks, no flushing
        }
        process.WaitForExit();
        return met;
    }
}
