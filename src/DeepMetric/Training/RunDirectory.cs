using System.Text;
using DeepMetric.Internal;

namespace DeepMetric.Training;

/// <summary>
/// The files of a training run directory (<see cref="Trainer.RunDirectory"/>), all written atomically (a temporary
/// file in the same directory renamed over the target), so a crash never leaves a partial file.
/// </summary>
public static class RunDirectory
{
    /// <summary>The run configuration (<see cref="Runs.RunConfig"/>), written when the run starts.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The final test metrics of the run (one JSON object), written at the end.</summary>
    public const string SummaryFile = "metrics.json";

    /// <summary>The untrained network's test metrics (<see cref="Runs.RunBaseline"/>), measured when the run starts.</summary>
    public const string BaselineFile = "baseline.json";

    /// <summary>The weights the tool uses (<see cref="ModelLoader.WeightsFileName"/>): the best or final model, with its metadata.</summary>
    public const string ModelFile = ModelLoader.WeightsFileName;

    /// <summary>The lock file of the writer that owns the directory (<see cref="Runs.RunDirectoryLock"/>).</summary>
    public const string LockFile = ".deepmetric.lock";

    /// <summary>One JSON object per epoch: epoch, iteration, loss, lr, mined tuples, validation metrics.</summary>
    public const string MetricsFile = "metrics.jsonl";

    /// <summary>One JSON object per optimisation step: iteration, epoch, loss, mined tuples, lr (written by <see cref="IterationLog"/>).</summary>
    public const string IterationsFile = "iterations.jsonl";

    /// <summary>The self-contained HTML report (written by <see cref="Reporting.ReportBuilder"/>).</summary>
    public const string ReportFile = "report.html";

    /// <summary>The checkpoint after the last completed epoch (see <see cref="Checkpoint"/>).</summary>
    public const string LastCheckpointFile = "checkpoint-last.safetensors";

    /// <summary>The checkpoint of the epoch with the best validation metric.</summary>
    public const string BestCheckpointFile = "checkpoint-best.safetensors";

    /// <summary>The model weights at the end of training.</summary>
    public const string FinalWeightsFile = "model-final.safetensors";

    /// <summary>The model weights of the best validation epoch (written when validation ran).</summary>
    public const string BestWeightsFile = "model-best.safetensors";

    /// <summary>Whether <paramref name="directory"/> is missing or holds nothing but a lock file.</summary>
    public static bool IsEmpty(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return !Directory.Exists(directory)
            || !Directory.EnumerateFileSystemEntries(directory).Any(e => !string.Equals(Path.GetFileName(e), LockFile, StringComparison.Ordinal));
    }

    /// <summary>Whether <paramref name="directory"/> holds a run (its <see cref="ConfigFile"/> or a checkpoint).</summary>
    public static bool IsRun(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return File.Exists(Path.Combine(directory, ConfigFile)) || File.Exists(Path.Combine(directory, LastCheckpointFile));
    }

    /// <summary>
    /// Deletes every artefact of the run in <paramref name="directory"/> (weights, checkpoints, logs, metrics, report,
    /// thresholds, charts: every file and folder except the lock), so nothing of the old run can be mistaken for the
    /// new one. Refuses a directory that does not hold a run (see <see cref="IsRun"/>), so a mistyped path never
    /// empties an unrelated folder. Hold its <see cref="Runs.RunDirectoryLock"/> while calling this.
    /// </summary>
    /// <returns>The number of entries removed.</returns>
    /// <exception cref="InvalidOperationException">The directory is not empty but is not a run directory.</exception>
    public static int Clear(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (IsEmpty(directory))
        {
            return 0;
        }
        if (!IsRun(directory))
        {
            throw new InvalidOperationException($"'{directory}' is not a run directory (it has no {ConfigFile}); refusing to delete its files.");
        }
        int removed = 0;
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (string.Equals(entry.Name, LockFile, StringComparison.Ordinal))
            {
                continue;
            }
            if (entry is DirectoryInfo sub)
            {
                sub.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
            removed++;
        }
        return removed;
    }

    /// <summary>Writes <paramref name="content"/> (UTF-8) to <paramref name="path"/> atomically.</summary>
    /// <param name="path">Destination file; its directory must exist.</param>
    /// <param name="content">The text.</param>
    public static void WriteTextAtomically(string path, string content)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        using var file = new AtomicFile(path);
        file.Stream.Write(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content));
        file.Commit();
    }

    /// <summary>
    /// Writes <paramref name="history"/> as the run's <see cref="MetricsFile"/> (one JSON object per epoch, NaN as
    /// null), atomically, replacing what was there: the format <see cref="Trainer"/> writes after every epoch.
    /// </summary>
    /// <param name="directory">The run directory; it must exist.</param>
    /// <param name="history">The epochs, in order.</param>
    public static void WriteMetricsHistory(string directory, IEnumerable<EpochResult> history)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(history);
        var lines = new StringBuilder();
        foreach (var r in history)
        {
            lines.Append(MetricsHistoryJson.Line(r)).Append('\n');
        }
        WriteTextAtomically(Path.Combine(directory, MetricsFile), lines.ToString());
    }
}
