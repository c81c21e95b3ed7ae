namespace DeepMetric.Tensors.Optim.Schedulers;

/// <summary>
/// Multiplies the learning rate by <c>gamma</c> at each milestone:
/// <c>lr(t) = base · γ^(number of milestones ≤ t)</c> (PyTorch's <c>MultiStepLR</c>, closed form; a
/// milestone listed twice counts twice).
/// </summary>
public sealed class MultiStepLR : LrScheduler
{
    private readonly int[] _milestones;
    private readonly float _gamma;

    /// <summary>Creates the schedule and applies its initial value.</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="milestones">Steps at which the learning rate decays (non-negative; any order).</param>
    /// <param name="gamma">Multiplicative decay factor (finite, at least 0).</param>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, float gamma = 0.1f) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        _milestones = [.. milestones];
        foreach (int m in _milestones)
        {
            if (m < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(milestones), m, "Milestones must be non-negative.");
            }
        }
        Array.Sort(_milestones);
        if (!(gamma >= 0f && float.IsFinite(gamma)))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be finite and at least 0.");
        }
        _gamma = gamma;
        ApplyLearningRates();
    }

    /// <inheritdoc/>
    protected override double ComputeLearningRate(double baseLearningRate, int epoch)
    {
        int passed = 0;
        foreach (int m in _milestones)
        {
            if (m <= epoch)
            {
                passed++;
            }
        }
        return baseLearningRate * Math.Pow(_gamma, passed);
    }

    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, string> HyperParameters() =>
        new Dictionary<string, string> { ["milestones"] = string.Join(',', _milestones), ["gamma"] = Format(_gamma) };
}
