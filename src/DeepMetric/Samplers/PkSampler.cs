using DeepMetric.Tensors.Random;

namespace DeepMetric.Samplers;

/// <summary>
/// Strict P×K batches: every batch holds exactly P distinct classes with exactly K distinct samples each (Hermans,
/// Beyer and Leibe, "In Defense of the Triplet Loss for Person Re-Identification", 2017). Losses that estimate
/// per-class statistics from the batch, such as the F-statistic loss (Hughes, Huang and Breiman, "Learning to
/// Separate Classes with an F-Statistic Loss", 2018), need every class of the batch to have the same K samples.
/// </summary>
/// <remarks>
/// An epoch is ⌊len(dataset) / (P·K)⌋ batches (at least one). Classes come from a shuffled cycle of all classes,
/// P distinct ones per batch; each class's samples come from its own shuffled cycle, K distinct ones per batch.
/// When a cycle has fewer items left than a batch needs, its leftovers are skipped and it is reshuffled, so no item
/// repeats inside a batch and items are used about equally often. A class with fewer than K samples is an error
/// unless <c>allowRepeats</c> is set, in which case its samples repeat within the batch. Every epoch's batches depend
/// only on the seed and the epoch number.
/// </remarks>
public sealed class PkSampler : BatchSampler
{
    private readonly int[][] _members;
    private readonly int _batches;
    private Prng _rng = new(0);
    private ShuffledCycle _classes = null!;
    private ShuffledCycle[] _samples = [];

    /// <summary>Creates the sampler.</summary>
    /// <param name="labels">Label of every dataset item (any integers).</param>
    /// <param name="p">Classes per batch (at most the number of classes).</param>
    /// <param name="k">Samples per class in a batch.</param>
    /// <param name="seed">Seed.</param>
    /// <param name="allowRepeats">Let classes with fewer than <paramref name="k"/> samples repeat samples instead of failing.</param>
    /// <exception cref="ArgumentException">The labels are empty, there are fewer than P classes, or a class has fewer than K samples without <paramref name="allowRepeats"/>.</exception>
    public PkSampler(ReadOnlySpan<int> labels, int p, int k, ulong seed = 0, bool allowRepeats = false)
        : base(checked(Positive(p, nameof(p)) * Positive(k, nameof(k))), seed)
    {
        if (labels.IsEmpty)
        {
            throw new ArgumentException("The labels must not be empty.", nameof(labels));
        }
        var (keys, members) = ShuffledCycle.GroupByLabel(labels);
        if (p > keys.Length)
        {
            throw new ArgumentException($"P = {p} classes per batch, but the labels have only {keys.Length} classes.", nameof(p));
        }
        if (!allowRepeats)
        {
            for (int c = 0; c < keys.Length; c++)
            {
                if (members[c].Length < k)
                {
                    throw new ArgumentException(
                        $"Class {keys[c]} has {members[c].Length} samples, fewer than K = {k}; pass allowRepeats: true or remove the class.", nameof(labels));
                }
            }
        }
        _members = members;
        P = p;
        K = k;
        _batches = Math.Max(1, labels.Length / BatchSize);
    }

    /// <summary>Classes per batch.</summary>
    public int P { get; }

    /// <summary>Samples per class in a batch.</summary>
    public int K { get; }

    /// <summary>Number of distinct classes.</summary>
    public int ClassCount => _members.Length;

    /// <inheritdoc/>
    public override int BatchesPerEpoch => _batches;

    /// <inheritdoc/>
    protected override void StartEpoch(int epoch)
    {
        _rng = EpochRng(epoch);
        var all = new int[_members.Length];
        for (int c = 0; c < all.Length; c++)
        {
            all[c] = c;
        }
        _classes = new ShuffledCycle(all, _rng);
        _samples = new ShuffledCycle[_members.Length];
        for (int c = 0; c < _members.Length; c++)
        {
            _samples[c] = new ShuffledCycle(_members[c], _rng);
        }
    }

    /// <inheritdoc/>
    protected override int[] DrawBatch()
    {
        var batch = new int[BatchSize];
        Span<int> chosen = P <= 256 ? stackalloc int[P] : new int[P];
        _classes.TakeDistinct(chosen, _rng);
        for (int i = 0; i < chosen.Length; i++)
        {
            _samples[chosen[i]].Take(batch.AsSpan(i * K, K), _rng);
        }
        return batch;
    }

    private static int Positive(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, name);
        return value;
    }
}
