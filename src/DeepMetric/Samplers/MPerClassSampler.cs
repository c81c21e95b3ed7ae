using DeepMetric.Internal;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Samplers;

/// <summary>
/// Class-balanced batches for metric learning: each batch holds P = batchSize / m distinct classes with m samples
/// each (the "PK" sampling of Hermans, Beyer and Leibe, "In Defense of the Triplet Loss for Person
/// Re-Identification", 2017), so every anchor has positives and negatives.
/// </summary>
/// <remarks>
/// An epoch is ⌊len(dataset) / batchSize⌋ batches, i.e. as many samples as the dataset holds, rounded down to whole
/// batches. Within an epoch, classes are taken from a shuffled cycle of all classes (P at a time, never twice in
/// one batch) and each class's samples from its own shuffled queue, refilled and reshuffled when exhausted, so
/// samples are seen about equally often. A class with fewer than m samples is sampled with repetition.
/// Every epoch's batches depend only on the seed and the epoch number.
/// </remarks>
public sealed class MPerClassSampler : BatchSampler
{
    private readonly int[][] _members;   // dataset indices of each class
    private readonly int _batches;
    private Prng _rng = new(0);
    private int[] _classCycle = [];
    private int _classNext;
    private int[][] _queues = [];
    private int[] _queueNext = [];

    /// <summary>Creates the sampler.</summary>
    /// <param name="labels">Label of every dataset item (any integers).</param>
    /// <param name="m">Samples per class in a batch.</param>
    /// <param name="batchSize">Batch size; a multiple of <paramref name="m"/>, with batchSize / m ≤ the number of classes.</param>
    /// <param name="seed">Seed.</param>
    /// <exception cref="ArgumentException">The labels are empty or the sizes do not fit (the message says which).</exception>
    public MPerClassSampler(ReadOnlySpan<int> labels, int m, int batchSize, ulong seed = 0) : base(batchSize, seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        if (labels.IsEmpty)
        {
            throw new ArgumentException("The labels must not be empty.", nameof(labels));
        }
        if (batchSize % m != 0)
        {
            throw new ArgumentException($"The batch size ({batchSize}) must be a multiple of m ({m}).", nameof(batchSize));
        }
        var byClass = LabelGroups.ByClass(labels);
        int p = batchSize / m;
        if (p > byClass.Count)
        {
            throw new ArgumentException(
                $"A batch of {batchSize} with m = {m} needs {p} classes but the labels have only {byClass.Count}.", nameof(batchSize));
        }
        if (batchSize > labels.Length)
        {
            throw new ArgumentException($"The batch size ({batchSize}) exceeds the dataset size ({labels.Length}).", nameof(batchSize));
        }
        _members = [.. byClass.Values.Select(l => l.ToArray())];
        M = m;
        ClassesPerBatch = p;
        _batches = labels.Length / batchSize;
    }

    /// <summary>Samples per class in a batch (m).</summary>
    public int M { get; }

    /// <summary>Classes per batch (P = batchSize / m).</summary>
    public int ClassesPerBatch { get; }

    /// <summary>Number of distinct classes.</summary>
    public int ClassCount => _members.Length;

    /// <inheritdoc/>
    public override int BatchesPerEpoch => _batches;

    /// <inheritdoc/>
    protected override void StartEpoch(int epoch)
    {
        _rng = EpochRng(epoch);
        _classCycle = new int[_members.Length];
        for (int c = 0; c < _classCycle.Length; c++)
        {
            _classCycle[c] = c;
        }
        _rng.Shuffle(_classCycle.AsSpan());
        _classNext = 0;
        _queues = new int[_members.Length][];
        _queueNext = new int[_members.Length];
        for (int c = 0; c < _members.Length; c++)
        {
            _queues[c] = (int[])_members[c].Clone();
            _rng.Shuffle(_queues[c].AsSpan());
        }
    }

    /// <inheritdoc/>
    protected override int[] DrawBatch()
    {
        var batch = new int[BatchSize];
        Span<int> chosen = stackalloc int[ClassesPerBatch];
        int filled = 0;
        while (filled < ClassesPerBatch)
        {
            if (_classNext == _classCycle.Length)
            {
                _rng.Shuffle(_classCycle.AsSpan());
                _classNext = 0;
            }
            int c = _classCycle[_classNext++];
            // After a reshuffle the cycle may repeat a class already in this batch; skip it (it comes back later).
            if (!chosen[..filled].Contains(c))
            {
                chosen[filled++] = c;
            }
        }
        int k = 0;
        foreach (int c in chosen)
        {
            var queue = _queues[c];
            for (int j = 0; j < M; j++)
            {
                if (_queueNext[c] == queue.Length)
                {
                    _rng.Shuffle(queue.AsSpan());
                    _queueNext[c] = 0;
                }
                batch[k++] = queue[_queueNext[c]++];
            }
        }
        return batch;
    }
}
