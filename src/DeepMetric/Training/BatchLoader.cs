using System.Diagnostics;
using DeepMetric.Data;
using DeepMetric.Samplers;
using DeepMetric.Tensors;

namespace DeepMetric.Training;

/// <summary>
/// Reads one epoch's training batches ahead of the training step: the sampler is drawn on the training thread,
/// and up to <c>depth</c> batches are read from the dataset (decoded and augmented there) on a worker thread, one
/// after another in sampler order, while the step runs. Each batch is a pure function of its indices and its
/// <see cref="BatchRequest"/> (the sampler position as the step), so prefetching changes no value: a run reads
/// exactly the batches it would read without it. <see cref="WaitSeconds"/> is the time the step spent blocked on data.
/// </summary>
/// <remarks>
/// The sampler runs up to <c>depth</c> batches ahead while the epoch lasts; <see cref="Dispose"/> (after the last
/// batch, or on cancellation or an error) waits for the worker and moves the sampler back to just after the last
/// batch handed out, so its position is what it would be without prefetching.
/// </remarks>
internal sealed class BatchLoader : IDisposable
{
    private readonly IDataset _data;
    private readonly BatchSampler _sampler;
    private readonly int _depth;
    private readonly Queue<Pending> _pending = new();
    private int _unrequested;
    private long _consumedPosition;
    private Task _tail = Task.CompletedTask;
    private bool _disposed;

    /// <summary>Creates a loader of <paramref name="batches"/> batches from the sampler's current position.</summary>
    /// <param name="data">The training data the sampler's indices refer to.</param>
    /// <param name="sampler">The batch sampler (drawn only by the thread that calls <see cref="Next"/>).</param>
    /// <param name="batches">Batches in this epoch.</param>
    /// <param name="depth">Batches read ahead (0: each batch is read when asked for, on the calling thread).</param>
    public BatchLoader(IDataset data, BatchSampler sampler, int batches, int depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batches);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        _data = data;
        _sampler = sampler;
        _unrequested = batches;
        _depth = depth;
        _consumedPosition = sampler.Position;
    }

    /// <summary>Seconds <see cref="Next"/> spent waiting for batch data (all of the reading when depth is 0).</summary>
    public double WaitSeconds { get; private set; }

    /// <summary>The next batch: its inputs, labels, dataset indices and the sampler position before it.</summary>
    /// <exception cref="InvalidOperationException">All batches of the epoch were handed out.</exception>
    /// <remarks>An error reading the batch (e.g. a corrupt file) is rethrown here, as the dataset threw it.</remarks>
    public LoadedBatch Next()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long t0 = Stopwatch.GetTimestamp();
        int[] indices;
        long position;
        Tensor inputs;
        if (_depth == 0)
        {
            (indices, position) = Draw();
            inputs = _data.Batch(indices, BatchRequest.Training(position));
        }
        else
        {
            Fill();
            if (!_pending.TryDequeue(out var pending))
            {
                throw new InvalidOperationException("Every batch of the epoch was already handed out.");
            }
            (indices, position) = (pending.Indices, pending.Position);
            inputs = pending.Inputs.GetAwaiter().GetResult();
        }
        WaitSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        _consumedPosition = position + 1;
        // Start the next read now, so it runs while this batch trains.
        Fill();
        return new LoadedBatch(inputs, Gather(_data.Labels, indices), indices, position);
    }

    /// <summary>Waits for the worker and puts the sampler just after the last batch handed out.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            // Reads still in flight touch the dataset; let them end before anyone else uses it. Their errors are
            // dropped: nobody asked for those batches.
            _tail.Wait();
        }
        catch (AggregateException)
        {
        }
        if (_sampler.Position != _consumedPosition)
        {
            _sampler.Seek(_consumedPosition);
        }
    }

    private void Fill()
    {
        while (_pending.Count < _depth && _unrequested > 0)
        {
            var (indices, position) = Draw();
            // One worker at a time, in sampler order: each read starts when the previous one ended (whatever its outcome).
            var read = _tail.ContinueWith(_ => _data.Batch(indices, BatchRequest.Training(position)),
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            _tail = read;
            _pending.Enqueue(new Pending(indices, position, read));
        }
    }

    private (int[] Indices, long Position) Draw()
    {
        if (_unrequested == 0)
        {
            throw new InvalidOperationException("Every batch of the epoch was already handed out.");
        }
        _unrequested--;
        long position = _sampler.Position;
        return (_sampler.NextBatch(), position);
    }

    private static int[] Gather(ReadOnlySpan<int> labels, int[] indices)
    {
        var batch = GC.AllocateUninitializedArray<int>(indices.Length);
        for (int j = 0; j < indices.Length; j++)
        {
            batch[j] = labels[indices[j]];
        }
        return batch;
    }

    private readonly record struct Pending(int[] Indices, long Position, Task<Tensor> Inputs);
}
