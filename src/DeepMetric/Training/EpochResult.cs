using DeepMetric.Evaluation;

namespace DeepMetric.Training;

/// <summary>The summary of one training epoch.</summary>
/// <param name="Epoch">Epoch, 1-based.</param>
/// <param name="Iterations">Iterations run.</param>
/// <param name="MeanLoss">Mean batch loss (accumulated in double).</param>
/// <param name="MeanMinedTuples">Mean tuples per batch returned by the miner (null without a miner).</param>
/// <param name="SamplesPerSecond">Training throughput (batch assembly and validation excluded).</param>
/// <param name="TrainSeconds">Wall time of the training iterations.</param>
/// <param name="Validation">Retrieval metrics on the validation set (null when not evaluated this epoch).</param>
/// <param name="ValidationSeconds">Wall time of embedding and evaluating the validation set.</param>
public sealed record EpochResult(int Epoch, int Iterations, double MeanLoss, double? MeanMinedTuples, double SamplesPerSecond,
    double TrainSeconds, Metrics? Validation, double ValidationSeconds)
{
    /// <summary>Optimisation steps since the start of the run, after this epoch.</summary>
    public long Iteration { get; init; }

    /// <summary>Learning rate of the first parameter group of the first optimizer during the epoch's last step.</summary>
    public float LearningRate { get; init; }

    /// <summary>
    /// Seconds the training loop waited for batch data during the epoch (reading, decoding and augmenting that the
    /// prefetching worker did not finish before the step needed it; see <see cref="Trainer.PrefetchDepth"/>).
    /// </summary>
    public double DataWaitSeconds { get; init; }

    /// <summary>Whether this epoch's validation improved the selection metric (its model state is the best kept).</summary>
    public bool IsBest { get; init; }
}
