namespace DeepMetric.Tensors.Optim.Schedulers;

/// <summary>
/// Multiplies the learning rate by <c>gamma</c> every <c>stepSize</c> steps:
/// <c>lr(t) = base · γ^⌊t / stepSize⌋</c> (PyTorch's <c>StepLR</c>, closed form).
/// </summary>
public sealed class StepLR : LrScheduler
{
    private readonly int _stepSize;
    private readonly float _gamma;

    /// <summary>Creates the schedule and applies its initial value (the base learning rates).</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="stepSize">Steps between decays (at least 1).</param>
    /// <param name="gamma">Multiplicative decay factor (finite, at least 0).</param>
    public StepLR(Optimizer optimizer, int stepSize, float gamma = 0.1f) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        if (!(gamma >= 0f && float.IsFinite(gamma)))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be finite and at least 0.");
        }
        _stepSize = stepSize;
        _gamma = gamma;
        ApplyLearningRates();
    }

    /// <inheritdoc/>
    protected override double ComputeLearningRate(double baseLearningRate, int epoch) =>
        baseLearningRate * Math.Pow(_gamma, epoch / _stepSize);

    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, string> HyperParameters() =>
        new Dictionary<string, string> { ["step_size"] = Format(_stepSize), ["gamma"] = Format(_gamma) };
}
