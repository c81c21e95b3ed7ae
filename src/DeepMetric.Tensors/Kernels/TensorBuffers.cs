namespace DeepMetric.Tensors;

/// <summary>
/// Where ops get their float storage: plain GC arrays, or — inside a <see cref="TensorScope"/> and for buffers
/// large enough for fresh pages to cost more than a lookup — exact-length arrays recycled through the pool of the
/// thread that opened the scope. A kernel's worker range borrows its caller's scope (<see cref="KernelThreads"/>), so
/// what it allocates is pooled too.
/// </summary>
internal static class TensorBuffers
{
    // Below 16 K floats (64 KB) the GC's small-object heap is cheap; above it arrays land on the large-object
    // heap, where each fresh allocation costs page faults and clearing (measured ~10× a reused buffer).
    private const int MinPooledLength = 16 * 1024;

    // Cap on memory parked in one thread's pool, so an unusual step cannot pin gigabytes.
    private const long MaxPooledBytes = 2L << 30;

    [ThreadStatic]
    private static Pool? t_pool;

    // Diagnostics for benchmarks (DEEPMETRIC_R18_PROFILE=step): pool-sized arrays allocated fresh inside a scope, and
    // arrays the pool turned away at its cap. Process-wide, updated atomically.
    private static long s_freshBytes;
    private static long s_droppedBytes;

    /// <summary>Bytes of pool-sized arrays allocated fresh inside a scope (the pool had none of that length) so far.</summary>
    public static long FreshBytes => Interlocked.Read(ref s_freshBytes);

    /// <summary>Bytes of arrays not taken back because the pool was at its cap, so far.</summary>
    public static long DroppedBytes => Interlocked.Read(ref s_droppedBytes);

    /// <summary>Bytes parked in this thread's pool now.</summary>
    public static long PooledBytes => t_pool?.Bytes ?? 0;

    /// <summary>This thread's pool (created on first use); a scope keeps the pool of the thread that opened it.</summary>
    internal static Pool ThreadPool => t_pool ??= new Pool();

    /// <summary>An array of exactly <paramref name="length"/> floats with unspecified contents.</summary>
    public static float[] Uninitialized(int length)
    {
        var scope = length < MinPooledLength ? null : TensorScope.ForBuffers;
        if (scope is null)
        {
            return GC.AllocateUninitializedArray<float>(length);
        }
        var buffer = scope.Pool.TryRent(length) ?? Fresh(length, clear: false);
        scope.Track(buffer);
        return buffer;
    }

    /// <summary>An array of exactly <paramref name="length"/> zeros.</summary>
    public static float[] Zeroed(int length)
    {
        var scope = length < MinPooledLength ? null : TensorScope.ForBuffers;
        if (scope is null)
        {
            return new float[length];
        }
        var buffer = scope.Pool.TryRent(length);
        if (buffer is null)
        {
            buffer = Fresh(length, clear: true);
        }
        else
        {
            Array.Clear(buffer);
        }
        scope.Track(buffer);
        return buffer;
    }

    /// <summary>Marks <paramref name="buffer"/> as owned by a long-lived tensor: the open scopes will not recycle it.</summary>
    public static void Persist(float[] buffer) => TensorScope.Current?.Release(buffer);

    private static float[] Fresh(int length, bool clear)
    {
        Interlocked.Add(ref s_freshBytes, (long)length * sizeof(float));
        return clear ? new float[length] : GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>
    /// Arrays parked by length. Used by its thread and, through a borrowed scope, by that thread's kernel workers, so
    /// every access takes its lock (one per array of 64 KB or more: nothing beside the allocation it saves).
    /// </summary>
    internal sealed class Pool
    {
        private readonly Dictionary<int, Stack<float[]>> _byLength = [];
        private long _bytes;

        public long Bytes
        {
            get
            {
                lock (_byLength)
                {
                    return _bytes;
                }
            }
        }

        public float[]? TryRent(int length)
        {
            lock (_byLength)
            {
                if (_byLength.TryGetValue(length, out var stack) && stack.TryPop(out var buffer))
                {
                    _bytes -= (long)buffer.Length * sizeof(float);
                    return buffer;
                }
                return null;
            }
        }

        public void Return(float[] buffer)
        {
            long bytes = (long)buffer.Length * sizeof(float);
            lock (_byLength)
            {
                if (_bytes + bytes > MaxPooledBytes)
                {
                    Interlocked.Add(ref s_droppedBytes, bytes);
                    return;
                }
                if (!_byLength.TryGetValue(buffer.Length, out var stack))
                {
                    _byLength[buffer.Length] = stack = new Stack<float[]>();
                }
                stack.Push(buffer);
                _bytes += bytes;
            }
        }
    }
}
