namespace DeepMetric.Analysis;

/// <summary>
/// Settings of <see cref="TSne"/>. Schedule defaults follow van der Maaten &amp; Hinton (2008) — 1 000 iterations,
/// momentum 0.5 then 0.8 after iteration 250 — with the stronger early exaggeration (12 for 250 iterations) and
/// learning rate 200 that later practice settled on.
/// </summary>
public sealed record TSneOptions
{
    /// <summary>Target perplexity of each conditional distribution, roughly the number of effective neighbours.</summary>
    public double Perplexity { get; init; } = 30;

    /// <summary>Gradient-descent iterations.</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>Step size η.</summary>
    public double LearningRate { get; init; } = 200;

    /// <summary>Factor multiplying P during the first <see cref="ExaggerationIterations"/> iterations.</summary>
    public double EarlyExaggeration { get; init; } = 12;

    /// <summary>Iterations with exaggerated P.</summary>
    public int ExaggerationIterations { get; init; } = 250;

    /// <summary>Momentum before <see cref="MomentumSwitchIteration"/>.</summary>
    public double InitialMomentum { get; init; } = 0.5;

    /// <summary>Momentum from <see cref="MomentumSwitchIteration"/> on.</summary>
    public double FinalMomentum { get; init; } = 0.8;

    /// <summary>Iteration at which momentum switches.</summary>
    public int MomentumSwitchIteration { get; init; } = 250;

    /// <summary>
    /// Gradient algorithm; <see cref="TSneMethod.Auto"/> picks exact below <see cref="TSne.BarnesHutThreshold"/> points
    /// and Barnes–Hut from there on.
    /// </summary>
    public TSneMethod Method { get; init; } = TSneMethod.Auto;

    /// <summary>
    /// Barnes–Hut accuracy θ: a quadtree cell is summarised by its centre of mass when its side over its distance
    /// is below θ. 0.5 as in van der Maaten (2014); 0 makes the repulsion exact.
    /// </summary>
    public double Theta { get; init; } = 0.5;

    /// <summary>Seed of the initial map, drawn from N(0, 10⁻⁴ I).</summary>
    public ulong Seed { get; init; }
}
