namespace DeepMetric.Tensors.Random;

/// <summary>
/// A component that draws from its own <see cref="Prng"/> while training (dropout masks, sampled triplets, …).
/// Trainers save and restore <see cref="Rng"/>'s state in checkpoints so a resumed run draws the same numbers.
/// </summary>
public interface IRandomSource
{
    /// <summary>The generator the component draws from (advanced as it is used).</summary>
    Prng Rng { get; }
}
