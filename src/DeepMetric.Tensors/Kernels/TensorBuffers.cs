namespace DeepMetric.Tensors;

/// <summary>
/// Where ops get their float storage: plain GC arrays, or — inside a <see cref="TensorScope"/> and for buffers
/// large enough for fresh pages to cost more than a lookup — exact-length arrays recycled through a per-thread pool.
/// </summary>
internal static class TensorBuffers
{
    // Below 16 K floats (64 KB) the GC's small-object heap is cheap; above it arrays land on the large-object
    // heap, where each fresh allocation costs page faults and clearing (measured ~10× a reused buffer).
    private const int MinPooledLength = 16 * 1024;

    // Cap on memory parked in the pool per thread, so an unusual step cannot pin gigabytes.
    private const long MaxPooledBytes = 2L << 30;

    [ThreadStatic]
    private static Dictionary<int, Stack<float[]>>? t_pool;

    [ThreadStatic]
    private static long t_pooledBytes;

    // Diagnostics for benchmarks (DEEPMETRIC_R18_PROFILE=step): pool-sized arrays allocated fresh inside a scope, and
    // arrays the pool turned away at its cap. Process-wide, updated atomically.
    private static long s_freshBytes;
    private static long s_droppedBytes;

    /// <summary>Bytes of pool-sized arrays allocated fresh inside a scope (the pool had none of that length) so far.</summary>
    public static long FreshBytes => Interlocked.Read(ref s_freshBytes);

    /// <summary>Bytes of arrays not taken back because the pool was at its cap, so far.</summary>
    public static long DroppedBytes => Interlocked.Read(ref s_droppedBytes);

    /// <summary>Bytes parked in this thread's pool now.</summary>
    public static long PooledBytes => t_pooledBytes;

    /// <summary>An array of exactly <paramref name="length"/> floats with unspecified contents.</summary>
    public static float[] Uninitialized(int length)
    {
        var scope = TensorScope.Current;
        if (scope is null || length < MinPooledLength)
        {
            return GC.AllocateUninitializedArray<float>(length);
        }
        var buffer = TryRent(length) ?? Fresh(length, clear: false);
        scope.Track(buffer);
        return buffer;
    }

    /// <summary>An array of exactly <paramref name="length"/> zeros.</summary>
    public static float[] Zeroed(int length)
    {
        var scope = TensorScope.Current;
        if (scope is null || length < MinPooledLength)
        {
            return new float[length];
        }
        var buffer = TryRent(length);
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

    internal static void Return(float[] buffer)
    {
        long bytes = (long)buffer.Length * sizeof(float);
        if (t_pooledBytes + bytes > MaxPooledBytes)
        {
            Interlocked.Add(ref s_droppedBytes, bytes);
            return;
        }
        t_pool ??= [];
        if (!t_pool.TryGetValue(buffer.Length, out var stack))
        {
            t_pool[buffer.Length] = stack = new Stack<float[]>();
        }
        stack.Push(buffer);
        t_pooledBytes += bytes;
    }

    private static float[] Fresh(int length, bool clear)
    {
        Interlocked.Add(ref s_freshBytes, (long)length * sizeof(float));
        return clear ? new float[length] : GC.AllocateUninitializedArray<float>(length);
    }

    private static float[]? TryRent(int length)
    {
        if (t_pool is not null && t_pool.TryGetValue(length, out var stack) && stack.TryPop(out var buffer))
        {
            t_pooledBytes -= (long)buffer.Length * sizeof(float);
            return buffer;
        }
        return null;
    }
}
