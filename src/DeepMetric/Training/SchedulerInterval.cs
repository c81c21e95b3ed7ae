namespace DeepMetric.Training;

/// <summary>When a <see cref="Trainer"/> advances its learning-rate schedulers.</summary>
public enum SchedulerInterval
{
    /// <summary>Once at the end of every epoch (the schedule's steps are epochs).</summary>
    Epoch,

    /// <summary>After every optimisation step (the schedule's steps are iterations; e.g. warm-up + cosine).</summary>
    Iteration,
}
