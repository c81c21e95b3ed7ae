namespace DeepMetric.Training;

/// <summary>One optimisation step as logged in <see cref="RunDirectory.IterationsFile"/> (see <see cref="IterationLog"/>).</summary>
/// <param name="Iteration">Optimisation steps since the start of the run, including this one (1-based).</param>
/// <param name="Epoch">Epoch, 1-based.</param>
/// <param name="Loss">The batch loss (NaN when it was not finite).</param>
/// <param name="MinedTuples">Tuples the miner returned (null without a miner).</param>
/// <param name="LearningRate">Learning rate used by the step.</param>
public sealed record IterationRecord(long Iteration, int Epoch, double Loss, int? MinedTuples, double LearningRate);
