using System.Diagnostics;
using System.Globalization;

namespace DeepMetric.Reporting;

/// <summary>
/// Renders an HTML or SVG file to a PNG screenshot with a locally installed Chromium in headless mode,
/// isolated from the user's profile (fresh temporary profile directory, no network services, no sandbox so it
/// runs as root in containers). Everything here fails soft: without Chromium the methods return false.
/// </summary>
public static class HeadlessChromium
{
    private static readonly string[] s_candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    /// <summary>The first Chromium executable found at the usual paths, or null.</summary>
    public static string? FindExecutable()
    {
        foreach (string path in s_candidates)
        {
            if (File.Exists(path))
            {
                return path;
            }
        }
        return null;
    }

    /// <summary>The command-line arguments used for one screenshot.</summary>
    public static IReadOnlyList<string> BuildArguments(string inputPath, string pngPath, int width, int height, string userDataDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(inputPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(userDataDir);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return
        [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--user-data-dir=" + userDataDir,
            "--screenshot=" + Path.GetFullPath(pngPath),
            "--window-size=" + width.ToString(CultureInfo.InvariantCulture) + "," + height.ToString(CultureInfo.InvariantCulture),
            new Uri(Path.GetFullPath(inputPath)).AbsoluteUri,
        ];
    }

    /// <summary>
    /// Screenshots <paramref name="inputPath"/> (an .html or .svg file) at <paramref name="width"/>×<paramref name="height"/>
    /// into <paramref name="pngPath"/>. Returns false when no Chromium is found, it fails, it exceeds the timeout,
    /// or it leaves no non-empty output file.
    /// </summary>
    /// <param name="inputPath">File to render.</param>
    /// <param name="pngPath">Where to write the PNG (replaced if present).</param>
    /// <param name="width">Window width in pixels.</param>
    /// <param name="height">Window height in pixels.</param>
    /// <param name="executable">Chromium to run; <see cref="FindExecutable"/> when null.</param>
    /// <param name="timeout">Time limit (default 60 s); the browser is killed when exceeded.</param>
    /// <exception cref="FileNotFoundException"><paramref name="inputPath"/> does not exist.</exception>
    public static bool TryScreenshot(string inputPath, string pngPath, int width, int height, string? executable = null, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(inputPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        if (!File.Exists(inputPath))
        {
            throw new FileNotFoundException($"Nothing to render: '{inputPath}' does not exist.", inputPath);
        }
        executable ??= FindExecutable();
        if (executable is null || !File.Exists(executable))
        {
            return false;
        }
        string profile = Directory.CreateTempSubdirectory("deepmetric-chromium-").FullName;
        try
        {
            if (File.Exists(pngPath))
            {
                File.Delete(pngPath);
            }
            var start = new ProcessStartInfo(executable)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
            foreach (string arg in BuildArguments(inputPath, pngPath, width, height, profile))
            {
                start.ArgumentList.Add(arg);
            }
            using Process? process = Process.Start(start);
            if (process is null)
            {
                return false;
            }
            // Drain both pipes so a chatty browser cannot block on a full buffer.
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += static (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return false;
            }
            return process.ExitCode == 0 && File.Exists(pngPath) && new FileInfo(pngPath).Length > 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
        finally
        {
            TryDelete(profile);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A crashed browser may still hold files for a moment; a stray temp folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
