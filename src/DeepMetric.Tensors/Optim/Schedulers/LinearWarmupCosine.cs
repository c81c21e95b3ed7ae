namespace DeepMetric.Tensors.Optim.Schedulers;

/// <summary>
/// Linear warm-up followed by cosine decay (Goyal et al., "Accurate, Large Minibatch SGD", 2017, for the
/// warm-up; Loshchilov &amp; Hutter, ICLR 2017, for the cosine), usually stepped once per iteration.
/// </summary>
/// <remarks>
/// With W warm-up steps, T total steps and start factor f:
/// <code>
/// lr(t) = base · (f + (1 − f) · t / W)                                   for t &lt; W
/// lr(t) = η_min + (base − η_min) · (1 + cos(π · min(1, (t − W) / (T − W)))) / 2   for t ≥ W
/// </code>
/// After T steps the learning rate stays at η_min.
/// </remarks>
public sealed class LinearWarmupCosine : LrScheduler
{
    private readonly int _warmupSteps;
    private readonly int _totalSteps;
    private readonly float _etaMin;
    private readonly float _warmupStartFactor;

    /// <summary>Creates the schedule and applies its initial value (base · <paramref name="warmupStartFactor"/>, or base without warm-up).</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="warmupSteps">Steps of linear warm-up W (at least 0).</param>
    /// <param name="totalSteps">Total steps T including warm-up (greater than <paramref name="warmupSteps"/>).</param>
    /// <param name="etaMin">Final learning rate η_min (finite, at least 0).</param>
    /// <param name="warmupStartFactor">Fraction f of the base learning rate at step 0, in [0, 1].</param>
    public LinearWarmupCosine(Optimizer optimizer, int warmupSteps, int totalSteps, float etaMin = 0f, float warmupStartFactor = 0f) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (totalSteps <= warmupSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"totalSteps must be greater than warmupSteps ({warmupSteps}).");
        }
        if (!(etaMin >= 0f && float.IsFinite(etaMin)))
        {
            throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, "etaMin must be finite and at least 0.");
        }
        if (!(warmupStartFactor >= 0f && warmupStartFactor <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(warmupStartFactor), warmupStartFactor, "warmupStartFactor must be in [0, 1].");
        }
        _warmupSteps = warmupSteps;
        _totalSteps = totalSteps;
        _etaMin = etaMin;
        _warmupStartFactor = warmupStartFactor;
        ApplyLearningRates();
    }

    /// <inheritdoc/>
    protected override double ComputeLearningRate(double baseLearningRate, int epoch)
    {
        if (epoch < _warmupSteps)
        {
            return baseLearningRate * (_warmupStartFactor + ((1.0 - _warmupStartFactor) * epoch / _warmupSteps));
        }
        double progress = Math.Min(1.0, (double)(epoch - _warmupSteps) / (_totalSteps - _warmupSteps));
        return _etaMin + ((baseLearningRate - _etaMin) * (1.0 + Math.Cos(Math.PI * progress)) / 2.0);
    }

    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, string> HyperParameters() =>
        new Dictionary<string, string>
        {
            ["warmup_steps"] = Format(_warmupSteps),
            ["total_steps"] = Format(_totalSteps),
            ["eta_min"] = Format(_etaMin),
            ["warmup_start_factor"] = Format(_warmupStartFactor),
        };
}
