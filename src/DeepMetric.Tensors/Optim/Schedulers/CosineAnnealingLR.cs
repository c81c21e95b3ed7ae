namespace DeepMetric.Tensors.Optim.Schedulers;

/// <summary>
/// Cosine annealing without restarts (Loshchilov &amp; Hutter, "SGDR: Stochastic Gradient Descent with Warm
/// Restarts", ICLR 2017): <c>lr(t) = η_min + (base − η_min) · (1 + cos(π·t / T_max)) / 2</c>, PyTorch's
/// <c>CosineAnnealingLR</c> in its closed form.
/// </summary>
/// <remarks>The formula is applied for every t, so past <c>T_max</c> the learning rate rises again along the cosine, as in PyTorch.</remarks>
public sealed class CosineAnnealingLR : LrScheduler
{
    private readonly int _tMax;
    private readonly float _etaMin;

    /// <summary>Creates the schedule and applies its initial value (the base learning rates).</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="tMax">Steps from the base learning rate down to <paramref name="etaMin"/> (at least 1).</param>
    /// <param name="etaMin">Minimum learning rate (finite, at least 0).</param>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, float etaMin = 0f) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tMax, 1);
        if (!(etaMin >= 0f && float.IsFinite(etaMin)))
        {
            throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, "etaMin must be finite and at least 0.");
        }
        _tMax = tMax;
        _etaMin = etaMin;
        ApplyLearningRates();
    }

    /// <inheritdoc/>
    protected override double ComputeLearningRate(double baseLearningRate, int epoch) =>
        _etaMin + ((baseLearningRate - _etaMin) * (1.0 + Math.Cos(Math.PI * epoch / _tMax)) / 2.0);

    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, string> HyperParameters() =>
        new Dictionary<string, string> { ["t_max"] = Format(_tMax), ["eta_min"] = Format(_etaMin) };
}
