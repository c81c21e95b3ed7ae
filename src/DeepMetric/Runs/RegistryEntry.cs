namespace DeepMetric.Runs;

/// <summary>One named loss or miner of <see cref="LossRegistry"/>.</summary>
/// <typeparam name="T">What the factory builds.</typeparam>
/// <param name="Name">The name (<c>--loss</c>/<c>--miner</c> value, <see cref="RunConfig.Loss"/>).</param>
/// <param name="Description">One line: the class, the paper and the default hyperparameters.</param>
/// <param name="Create">Builds it from the run's settings.</param>
public sealed record RegistryEntry<T>(string Name, string Description, Func<LossSettings, T> Create);
