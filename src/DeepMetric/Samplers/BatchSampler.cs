namespace DeepMetric.Samplers;

/// <summary>
/// Chooses the dataset indices of each training batch. Samplers are deterministic for a given seed: the batches of
/// epoch <c>e</c> depend only on the seed and <c>e</c>, so the position (<see cref="Position"/>) is all a checkpoint
/// needs to resume, and <see cref="Seek(long)"/> returns to it.
/// </summary>
public abstract class BatchSampler
{
    private long _position;
    private int _epochInProgress = -1;

    /// <summary>Creates a sampler.</summary>
    /// <param name="batchSize">Indices per batch (positive).</param>
    /// <param name="seed">Seed of all the sampler's randomness.</param>
    protected BatchSampler(int batchSize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        BatchSize = batchSize;
        Seed = seed;
    }

    /// <summary>Indices per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>Number of batches in one epoch (see the derived class for what an epoch is).</summary>
    public abstract int BatchesPerEpoch { get; }

    /// <summary>Number of batches drawn since the start (epoch × <see cref="BatchesPerEpoch"/> + batch in the epoch).</summary>
    public long Position => _position;

    /// <summary>The epoch the next batch belongs to (0-based).</summary>
    public int Epoch => (int)(_position / BatchesPerEpoch);

    /// <summary>The next batch of dataset indices; a new epoch starts (and is reshuffled) after the last batch of the previous one.</summary>
    public int[] NextBatch()
    {
        int epoch = Epoch;
        int inEpoch = (int)(_position % BatchesPerEpoch);
        if (epoch != _epochInProgress)
        {
            StartEpoch(epoch);
            _epochInProgress = epoch;
            for (int b = 0; b < inEpoch; b++)
            {
                // Replay the batches already drawn in this epoch (after Seek) so the state matches.
                _ = DrawBatch();
            }
        }
        _position++;
        return DrawBatch();
    }

    /// <summary>Moves to <paramref name="position"/> batches from the start, as if that many had been drawn.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is negative.</exception>
    public void Seek(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        _position = position;
        _epochInProgress = -1;
    }

    /// <summary>Skips to the first batch of the next epoch unless already at an epoch boundary.</summary>
    public void SkipToEpochEnd()
    {
        long per = BatchesPerEpoch;
        if (_position % per != 0)
        {
            Seek(((_position / per) + 1) * per);
        }
    }

    /// <summary>Prepares epoch <paramref name="epoch"/>; its randomness must depend only on <see cref="Seed"/> and the epoch.</summary>
    protected abstract void StartEpoch(int epoch);

    /// <summary>Draws the next batch of the current epoch.</summary>
    protected abstract int[] DrawBatch();

    /// <summary>A generator seeded from the sampler seed and <paramref name="epoch"/> (SplitMix64 mixing, so nearby seeds differ).</summary>
    protected DeepMetric.Tensors.Random.Prng EpochRng(int epoch)
    {
        ulong z = Seed + (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return new DeepMetric.Tensors.Random.Prng(z ^ (z >> 31));
    }
}
