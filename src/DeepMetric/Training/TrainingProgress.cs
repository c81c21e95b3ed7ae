namespace DeepMetric.Training;

/// <summary>What a <see cref="Trainer"/> reports after each iteration (and once more at the end of each epoch).</summary>
/// <param name="Epoch">Epoch, 1-based.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Iteration">Iteration within the epoch, 1-based.</param>
/// <param name="IterationsPerEpoch">Iterations in each epoch.</param>
/// <param name="Loss">Loss of this iteration's batch.</param>
/// <param name="MinedTuples">Tuples the miner returned for this batch (null without a miner).</param>
/// <param name="SamplesPerSecond">Training throughput so far in this epoch (forward, mining, backward and update; batch assembly excluded).</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Iteration, int IterationsPerEpoch, float Loss, int? MinedTuples, double SamplesPerSecond)
{
    /// <summary>Set on the report that closes an epoch, after validation; null on per-iteration reports.</summary>
    public EpochResult? EpochEnd { get; init; }

    /// <summary>Seconds the training loop has waited for batch data so far in this epoch (see <see cref="EpochResult.DataWaitSeconds"/>).</summary>
    public double DataWaitSeconds { get; init; }

    /// <summary>Learning rate of the first parameter group of the first optimizer during this step (before a per-iteration scheduler stepped).</summary>
    public float LearningRate { get; init; }
}
