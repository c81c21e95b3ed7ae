using System.Globalization;
using System.Text;
using DeepMetric.Training;

namespace DeepMetric.Runs;

/// <summary>
/// Exclusive ownership of a run directory for one writer: an OS file lock on <see cref="RunDirectory.LockFile"/>
/// inside it, held until <see cref="Dispose"/>. A second writer (another process or another <see cref="Acquire"/> in
/// this one) fails at once with an <see cref="IOException"/> that says so.
/// </summary>
/// <remarks>
/// The lock is the kernel's advisory lock that .NET takes for <see cref="FileShare.None"/> on Unix (and a sharing
/// lock on Windows): it goes away with the process, so a killed writer never leaves a stale lock behind (the empty
/// file may stay; it is not a lock by itself and <see cref="RunDirectory"/> ignores it).
/// </remarks>
public sealed class RunDirectoryLock : IDisposable
{
    private readonly FileStream _stream;

    private RunDirectoryLock(string directory, FileStream stream)
    {
        Directory = directory;
        _stream = stream;
    }

    /// <summary>The locked run directory (full path).</summary>
    public string Directory { get; }

    /// <summary>Creates <paramref name="directory"/> when needed and locks it.</summary>
    /// <exception cref="IOException">Another writer holds the directory (the message names it), or it cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static RunDirectoryLock Acquire(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string dir = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, RunDirectory.LockFile);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
        {
            throw new IOException($"'{dir}' is in use by another training run (it holds the lock {RunDirectory.LockFile}); wait for it to finish or use another --run-dir.", e);
        }
        try
        {
            stream.SetLength(0);
            stream.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n")));
            stream.Flush();
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new RunDirectoryLock(dir, stream);
    }

    /// <summary>Releases the lock (the file stays).</summary>
    public void Dispose() => _stream.Dispose();
}
