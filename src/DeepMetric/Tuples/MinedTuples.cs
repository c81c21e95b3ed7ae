namespace DeepMetric;

/// <summary>
/// Index tuples chosen by a miner (or given by the user). Indices of anchors refer to the batch embeddings;
/// indices of positives and negatives refer to the reference set (the batch itself when none is given).
/// Mining never carries gradients: tuples are plain index arrays.
/// </summary>
public abstract record MinedTuples
{
    /// <summary>Number of tuples.</summary>
    public abstract int Count { get; }
}
