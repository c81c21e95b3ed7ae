using DeepMetric.Evaluation;

namespace DeepMetric.Training;

/// <summary>
/// Hooks a library user can give a <see cref="Trainer"/> (<see cref="Trainer.Callbacks"/>). Every method has an
/// empty default, so implement only what you need. They run on the training thread, outside the per-step tensor
/// scope; throwing stops training.
/// </summary>
public interface ITrainerCallbacks
{
    /// <summary>After every optimisation step.</summary>
    /// <param name="trainer">The trainer.</param>
    /// <param name="progress">The step's loss, mined tuples and position.</param>
    void OnIterationEnd(Trainer trainer, TrainingProgress progress)
    {
    }

    /// <summary>After a validation evaluation, before the epoch-end callback of the same epoch.</summary>
    /// <param name="trainer">The trainer.</param>
    /// <param name="epoch">The epoch just finished (1-based).</param>
    /// <param name="metrics">The validation metrics.</param>
    /// <param name="improved">Whether the selection metric improved on the best so far (the model state was kept).</param>
    void OnEvaluation(Trainer trainer, int epoch, Metrics metrics, bool improved)
    {
    }

    /// <summary>At the end of every epoch, after validation and after the run directory was written.</summary>
    /// <param name="trainer">The trainer.</param>
    /// <param name="result">The epoch's summary.</param>
    void OnEpochEnd(Trainer trainer, EpochResult result)
    {
    }

    /// <summary>When <see cref="Trainer.Fit"/> completes its epochs or stops early (not when it is cancelled or throws), after the last epoch-end callback.</summary>
    /// <param name="trainer">The trainer.</param>
    void OnTrainingEnd(Trainer trainer)
    {
    }
}
