using DeepMetric.Evaluation;

namespace DeepMetric.Training;

/// <summary>
/// Early stopping as a trainer callback: counts consecutive evaluations that did not improve the selection metric
/// and sets <see cref="Stopped"/> after <see cref="Patience"/> of them (counted in evaluations, not epochs).
/// </summary>
internal sealed class EarlyStopping(int? patience) : ITrainerCallbacks
{
    /// <summary>Null never stops.</summary>
    public int? Patience { get; } = patience;

    public int BadEvaluations { get; private set; }

    public bool Stopped { get; private set; }

    public void OnEvaluation(Trainer trainer, int epoch, Metrics metrics, bool improved)
    {
        if (improved)
        {
            BadEvaluations = 0;
            return;
        }
        BadEvaluations++;
        if (Patience is int p && BadEvaluations >= p)
        {
            Stopped = true;
        }
    }

    /// <summary>Sets the state read from a checkpoint.</summary>
    public void Restore(int badEvaluations, bool stopped)
    {
        BadEvaluations = badEvaluations;
        Stopped = stopped;
    }
}
