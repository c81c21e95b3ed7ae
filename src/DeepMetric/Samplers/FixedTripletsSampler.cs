using DeepMetric.Miners;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Samplers;

/// <summary>
/// Batches made of a fixed, given list of triplets: each batch is T whole triplets laid out as
/// a₀, p₀, n₀, a₁, p₁, n₁, …, which is the layout <see cref="TripletsAlreadyPackagedMiner"/> expects.
/// </summary>
/// <remarks>
/// An epoch is ⌊triplets / T⌋ batches (the remainder is dropped so every batch has 3·T indices). Without shuffling,
/// every epoch takes the triplets in the given order; with shuffling, each epoch takes them in a fresh permutation
/// that depends only on the seed and the epoch number.
/// </remarks>
public sealed class FixedTripletsSampler : BatchSampler
{
    private readonly IndexTriplet[] _triplets;
    private readonly bool _shuffle;
    private int[] _order = [];
    private int _next;

    /// <summary>Creates the sampler.</summary>
    /// <param name="triplets">The triplets (copied).</param>
    /// <param name="tripletsPerBatch">T: triplets per batch (batch size 3·T), at most the number of triplets.</param>
    /// <param name="shuffle">Take the triplets in a new seeded order every epoch instead of the given order.</param>
    /// <param name="seed">Seed (used only when shuffling).</param>
    /// <param name="datasetCount">When given, every index must lie in [0, datasetCount).</param>
    /// <exception cref="ArgumentException">There are no triplets, fewer than T, or an index is out of range.</exception>
    public FixedTripletsSampler(IReadOnlyList<IndexTriplet> triplets, int tripletsPerBatch, bool shuffle = false, ulong seed = 0, int? datasetCount = null)
        : base(checked(3 * Positive(tripletsPerBatch)), seed)
    {
        ArgumentNullException.ThrowIfNull(triplets);
        if (triplets.Count == 0)
        {
            throw new ArgumentException("At least one triplet is required.", nameof(triplets));
        }
        if (tripletsPerBatch > triplets.Count)
        {
            throw new ArgumentException($"T = {tripletsPerBatch} triplets per batch, but only {triplets.Count} triplets are given.", nameof(tripletsPerBatch));
        }
        _triplets = new IndexTriplet[triplets.Count];
        for (int t = 0; t < _triplets.Length; t++)
        {
            var triplet = triplets[t];
            int limit = datasetCount ?? int.MaxValue;
            if ((uint)triplet.Anchor >= (uint)limit || (uint)triplet.Positive >= (uint)limit || (uint)triplet.Negative >= (uint)limit)
            {
                throw new ArgumentException(
                    $"triplets[{t}] = {triplet} has an index outside [0, {(datasetCount is null ? "int.MaxValue" : datasetCount)}).", nameof(triplets));
            }
            _triplets[t] = triplet;
        }
        _shuffle = shuffle;
        TripletsPerBatch = tripletsPerBatch;
    }

    /// <summary>T: triplets per batch.</summary>
    public int TripletsPerBatch { get; }

    /// <summary>Number of triplets.</summary>
    public int TripletCount => _triplets.Length;

    /// <inheritdoc/>
    public override int BatchesPerEpoch => _triplets.Length / TripletsPerBatch;

    /// <inheritdoc/>
    protected override void StartEpoch(int epoch)
    {
        _order = new int[_triplets.Length];
        for (int t = 0; t < _order.Length; t++)
        {
            _order[t] = t;
        }
        if (_shuffle)
        {
            Prng rng = EpochRng(epoch);
            rng.Shuffle(_order.AsSpan());
        }
        _next = 0;
    }

    /// <inheritdoc/>
    protected override int[] DrawBatch()
    {
        var batch = new int[BatchSize];
        for (int j = 0; j < TripletsPerBatch; j++)
        {
            var t = _triplets[_order[_next++]];
            batch[3 * j] = t.Anchor;
            batch[(3 * j) + 1] = t.Positive;
            batch[(3 * j) + 2] = t.Negative;
        }
        return batch;
    }

    private static int Positive(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, "tripletsPerBatch");
        return value;
    }
}
