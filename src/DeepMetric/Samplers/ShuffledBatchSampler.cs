
namespace DeepMetric.Samplers;

/// <summary>
/// Plain shuffled batches: each epoch is a fresh permutation of the <c>count</c> indices cut into batches of
/// <see cref="BatchSampler.BatchSize"/>; an epoch has ⌊count / batchSize⌋ batches (the remainder of the permutation is
/// dropped, so every batch has the same size).
/// </summary>
public sealed class ShuffledBatchSampler : BatchSampler
{
    private readonly int _count;
    private int[] _order = [];
    private int _next;

    /// <summary>Creates the sampler.</summary>
    /// <param name="count">Number of items in the dataset.</param>
    /// <param name="batchSize">Items per batch; at most <paramref name="count"/>.</param>
    /// <param name="seed">Seed.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the batch is larger than the dataset.</exception>
    public ShuffledBatchSampler(int count, int batchSize, ulong seed = 0) : base(batchSize, seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (batchSize > count)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size must not exceed the dataset size ({count}).");
        }
        _count = count;
    }

    /// <inheritdoc/>
    public override int BatchesPerEpoch => _count / BatchSize;

    /// <inheritdoc/>
    protected override void StartEpoch(int epoch)
    {
        _order = new int[_count];
        for (int i = 0; i < _count; i++)
        {
            _order[i] = i;
        }
        EpochRng(epoch).Shuffle(_order.AsSpan());
        _next = 0;
    }

    /// <inheritdoc/>
    protected override int[] DrawBatch()
    {
        var batch = _order.AsSpan(_next, BatchSize).ToArray();
        _next += BatchSize;
        return batch;
    }
}
