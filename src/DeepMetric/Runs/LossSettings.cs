namespace DeepMetric.Runs;

/// <summary>Hyperparameters handed to the <see cref="LossRegistry"/> factories; null means "the default".</summary>
/// <param name="Margin">The loss margin (<c>--margin</c>).</param>
/// <param name="MinerMargin">The miner margin (<c>--miner-margin</c>).</param>
/// <param name="Seed">The run seed, for losses and miners that sample.</param>
/// <param name="NumClasses">Class-label range of the training data (for classifier and proxy losses).</param>
/// <param name="EmbeddingSize">Embedding dimension (for classifier and proxy losses).</param>
public sealed record LossSettings(float? Margin, float? MinerMargin, ulong Seed, int NumClasses, int EmbeddingSize);
