using System.Diagnostics;
using DeepMetric.Tensors;

namespace DeepMetric.Data;

/// <summary>
/// Reads training batches one step ahead on a worker so the training step does not wait for decoding and
/// augmentation. It wraps the training dataset and a second sampler configured exactly like the trainer's (the
/// "shadow"): when the trainer reads the batch of step p, the wrapper returns the batch it prepared for p (or reads it
/// now if it guessed wrong) and starts preparing step p + 1 with the indices the shadow draws at that position.
/// Batches are pure functions of (indices, request) (<see cref="IDataset"/>), so read-ahead changes nothing in the
/// results, and resumed runs stay bit-identical. Evaluation reads pass straight through. It also counts the time
/// training reads spent waiting (<see cref="WaitSeconds"/>).
/// </summary>
public sealed class PrefetchingDataset : IDataset, IDisposable
{
    private readonly IDataset _inner;
    private readonly BatchSampler? _shadow;
    private readonly object _gate = new();
    private (long Step, int[] Indices, Task<Tensor> Read)? _pending;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The dataset read.</param>
    /// <param name="shadow">A sampler with the trainer sampler's settings and seed, used only to know the next batch's indices; null reads nothing ahead (only the waits are counted).</param>
    public PrefetchingDataset(IDataset inner, BatchSampler? shadow)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _shadow = shadow;
    }

    /// <summary>The wrapped dataset.</summary>
    public IDataset Inner => _inner;

    /// <summary>Seconds training reads spent in <see cref="Batch"/>: waiting for the prepared batch or reading it on the spot.</summary>
    public double WaitSeconds { get; private set; }

    /// <summary>Training reads served.</summary>
    public long TrainingReads { get; private set; }

    /// <summary>Training reads served from a batch prepared ahead.</summary>
    public long PrefetchHits { get; private set; }

    /// <inheritdoc/>
    public int Count => _inner.Count;

    /// <inheritdoc/>
    public ReadOnlySpan<int> Labels => _inner.Labels;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => _inner.ClassNames;

    /// <inheritdoc/>
    public ReadOnlySpan<int> ItemShape => _inner.ItemShape;

    /// <inheritdoc/>
    public Tensor Batch(ReadOnlySpan<int> indices, BatchRequest request = default)
    {
        if (!request.Augment)
        {
            return _inner.Batch(indices, request);
        }
        lock (_gate)
        {
            long t0 = Stopwatch.GetTimestamp();
            Tensor result;
            if (_pending is { } p && p.Step == request.Step && indices.SequenceEqual(p.Indices))
            {
                _pending = null;
                result = p.Read.GetAwaiter().GetResult();
                PrefetchHits++;
            }
            else
            {
                Discard(wait: false);
                result = _inner.Batch(indices, request);
            }
            WaitSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            TrainingReads++;
            if (_shadow is not null)
            {
                long next = request.Step + 1;
                if (_shadow.Position != next)
                {
                    _shadow.Seek(next);
                }
                var nextIndices = _shadow.NextBatch();
                var inner = _inner;
                _pending = (next, nextIndices, Task.Run(() => inner.Batch(nextIndices, BatchRequest.Training(next))));
            }
            return result;
        }
    }

    /// <inheritdoc/>
    public IDataset Subset(ReadOnlySpan<int> indices) => _inner.Subset(indices);

    /// <summary>Waits for a batch still being prepared and drops it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            Discard(wait: true);
        }
    }

    // A read-ahead nobody will use: observe its failure (the trainer did not ask for that batch, so its error is not
    // the trainer's) and, when disposing, let it finish.
    private void Discard(bool wait)
    {
        if (_pending is not { } p)
        {
            return;
        }
        _pending = null;
        _ = p.Read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        if (wait)
        {
            ((IAsyncResult)p.Read).AsyncWaitHandle.WaitOne();
        }
    }
}
