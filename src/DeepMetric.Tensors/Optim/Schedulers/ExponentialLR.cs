namespace DeepMetric.Tensors.Optim.Schedulers;

/// <summary>
/// Multiplies the learning rate by <c>gamma</c> every step: <c>lr(t) = base · γ^t</c>
/// (PyTorch's <c>ExponentialLR</c>, closed form).
/// </summary>
public sealed class ExponentialLR : LrScheduler
{
    private readonly float _gamma;

    /// <summary>Creates the schedule and applies its initial value (the base learning rates).</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="gamma">Multiplicative decay factor per step (finite, at least 0).</param>
    public ExponentialLR(Optimizer optimizer, float gamma) : base(optimizer)
    {
        if (!(gamma >= 0f && float.IsFinite(gamma)))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be finite and at least 0.");
        }
        _gamma = gamma;
        ApplyLearningRates();
    }

    /// <inheritdoc/>
    protected override double ComputeLearningRate(double baseLearningRate, int epoch) =>
        baseLearningRate * Math.Pow(_gamma, epoch);

    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, string> HyperParameters() =>
        new Dictionary<string, string> { ["gamma"] = Format(_gamma) };
}
