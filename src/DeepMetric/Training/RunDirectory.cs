using System.Text;
using DeepMetric.Internal;

namespace DeepMetric;

/// <summary>
/// The files of a training run directory (<see cref="Trainer.RunDirectory"/>), all written atomically (a temporary
/// file in the same directory renamed over the target), so a crash never leaves a partial file.
/// </summary>
public static class RunDirectory
{
    /// <summary>The run configuration, written by the caller (e.g. the CLI).</summary>
    public const string ConfigFile = "config.json";

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
}
