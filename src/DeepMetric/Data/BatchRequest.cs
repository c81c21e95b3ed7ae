namespace DeepMetric.Data;

/// <summary>How a batch is read from an <see cref="IDataset"/>.</summary>
/// <param name="Augment">Apply the dataset's random training transform (false: the deterministic evaluation transform).</param>
/// <param name="Step">
/// The step the batch belongs to (the trainer passes the sampler position before the batch). With the transform's seed
/// and the slot in the batch it fixes every random choice, so resumed runs augment bit-identically without saving state.
/// </param>
public readonly record struct BatchRequest(bool Augment = false, long Step = 0)
{
    /// <summary>Evaluation reads: no augmentation.</summary>
    public static BatchRequest Evaluation => default;

    /// <summary>A training read at <paramref name="step"/>, augmented.</summary>
    public static BatchRequest Training(long step) => new(true, step);
}
