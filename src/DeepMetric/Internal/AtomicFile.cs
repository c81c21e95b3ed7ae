namespace DeepMetric.Internal;

/// <summary>
/// A temporary file beside the target that replaces it on <see cref="Commit"/> (flush to disk, then rename), so
/// readers see either the old file or the complete new one. Disposing without committing deletes the temporary file.
/// </summary>
internal sealed class AtomicFile : IDisposable
{
    private readonly string _target;
    private readonly string _temp;
    private bool _committed;

    public AtomicFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _target = Path.GetFullPath(path);
        _temp = $"{_target}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        Stream = new FileStream(_temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
    }

    public FileStream Stream { get; }

    public void Commit()
    {
        Stream.Flush(flushToDisk: true);
        Stream.Dispose();
        File.Move(_temp, _target, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed)
        {
            try
            {
                // Closing flushes what is still buffered, which fails again on a full disk: the temporary file must
                // go all the same, and the error that brought us here is the one the caller sees.
                Stream.Dispose();
            }
            catch (IOException)
            {
            }
            finally
            {
                File.Delete(_temp);
            }
        }
    }
}
